"""Toporder: a *push* source. The till sends one JSON file per closure into a per-tenant inbox.

Pennylane's own Toporder integration works like this (help article "Connecter Toporder"): the
accountant activates the integration, gets a unique identifier, gives it to Toporder, and from
then on receives one file of sales per day. Sales dated before the activation cannot be received.
Payment-method names must match the till's names *exactly*; they can be typed in by hand or
learned from the first file. Errors the till must fix (debit ≠ credit, a wrong VAT rate) are
reported back to Toporder automatically. This module reproduces that contract:

- **Activation** (:func:`activate`): a random, unguessable identifier per tenant, stored in the
  ``toporder_activations`` table with the activation date. Re-activating returns the same one.
- **Inbox** (:func:`inbox_root`): ``$TOPORDER_INBOX_DIR`` (a directory, or a bucket mounted as
  one), default ``$DAGSTER_HOME/toporder-inbox``. The till drops ``<root>/<identifier>/*.json``
  (write to a dot-file or ``*.tmp``/``*.part`` name, then rename: those are never read).
  Accepted files move to ``<identifier>/processed/<business date>/``; rejected ones to
  ``<identifier>/rejected/`` with ``<name>.report.json`` beside them, and the same report is
  POSTed to ``source.settings.callback_url`` when the tenant has one.
- **Sensor** (:func:`scan_inbox`): validates every new file, accepts or rejects it, and returns
  the accepted ones (tenant, business day) so that a run is launched for that tenant-day.
- **Source** (:class:`ToporderSource`): ``fetch`` reads the accepted (or still pending) files of
  the tenant-day and parses them with the pure :func:`parse_closure`. No file yet → the day is
  *waiting*, not failed.
- **Feedback**: :func:`reject_file` (a file) and :func:`report_source_error` (a tenant-day whose
  mapping step later found a source error) write the report and call Toporder back.

The file format is documented in ``docs/toporder-format.md`` (there is no public Toporder
specification; this is our contract with the till, versioned by ``schema_version``).

Modules: :mod:`.settings` (the tenant's ``source:`` block), :mod:`.format` (the file's models and
schema validation), :mod:`.parser` (the Z report's checks and the pure parser), :mod:`.activation`,
:mod:`.inbox` (the inbox's files), :mod:`.scan` (the sensor's scan), :mod:`.reports` (rejection
reports and callbacks), :mod:`.source` (:class:`~.source.ToporderSource`). The till side (writing
closure files, for the demo and the tests) is ``emulators/toporder_files.py``.
"""
