"""Chift unified POS API (``specs/chift-api-openapi.json``): client, pure parser, ``ChiftSource``.

One Chift *consumer* (the tenant) has a POS *connection* (Cashpad, Popina, Innovorder, Zelty...).
For one business day the source reads, per location:

- ``GET /consumers/{consumer_id}/pos/closures/{date}?location_id=`` — is the day ``closed``
  (final)? Its totals per payment method and per VAT rate become the ``closure_totals`` frame,
  which the pipeline cross-checks against the lines;
- ``GET .../pos/orders?date_from&date_to&location_id&state=closed`` — the tickets, with their
  items and payments. The spec says only "dates (inclusive)" without a time basis, so the client
  asks for the day before and the day after as well and keeps the orders whose closing date
  (creation date if none) falls in the *local* business day of the order's location (time zone
  from ``GET .../pos/locations``);
- ``GET .../pos/payments`` (same window) — used for orders whose ``payments`` list is empty (some
  POS expose payments only there);
- ``GET .../pos/payment-methods`` and ``.../pos/accounting-categories`` (+ product categories) —
  the till's own payment method name (``extra``; ``name`` is Chift's normalised one) and the
  category names.

Money is a JSON number in currency units and is read as ``Decimal`` from the JSON text, never as
a float, then converted to integer cents. Tax rates are percents (``5.5``). Tips are *not* part
of payment totals in Chift: the canonical ``amount_cents`` is ``total + tip``.

Tenant settings (``source.settings``, :class:`~.settings.ChiftSettings`):

- ``consumer_id`` (required, a UUID), ``connection_id`` (optional: sent as ``x-chift-connectionid``
  when the consumer has several POS connections),
- ``location_ids`` (optional list; default: every location of the consumer),
- ``require_closed_closure`` (default ``true``: the day waits until Chift says ``closed``),
- ``page_size`` (1–100, default 100).

Credentials (``source.credentials``, env var names): ``client_id``, ``client_secret``,
``account_id``. Base URL: ``source.base_url`` (default ``https://api.chift.eu``).

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.ChiftSource`).
"""
