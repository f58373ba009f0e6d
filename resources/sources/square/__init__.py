"""Square (Connect API v2): one business day of a tenant's Square locations.

What is read, and why this way (``reference/source-apis.md`` §3, ``specs/square-connect-api.json``):

- ``GET /v2/locations`` gives each location's IANA ``timezone``: a business day is the
  location's local day, so the UTC window is computed per location (a café in Paris and a
  kiosk in Guadeloupe do not close their day at the same instant).
- ``POST /v2/orders/search`` with ``state_filter`` ``COMPLETED`` and a ``date_time_filter`` on
  ``closed_at``. Square rejects a date filter whose field differs from ``sort.sort_field``, so
  both are ``CLOSED_AT``. Paging re-sends the *original* query with the returned ``cursor``.
  Square's ranges are inclusive; the client also drops orders outside ``[start, end)`` so an
  order closed exactly at midnight lands on one day only.
- ``GET /v2/refunds`` (``begin_time``/``end_time`` on the refund's ``created_at``, per
  location): refunds are booked on the day the money moved, not on the sale's day. Their VAT
  split comes from the order they point at (``POST /v2/orders/batch-retrieve``): the return
  order's ``returns[].return_line_items`` when Square made an itemized return, otherwise the
  sale's own lines, pro rata.
- Money is ``{amount, currency}`` in minor units: integers end to end. A line's gross is its
  ``total_money`` (after discounts, taxes included whether ``ADDITIVE`` or ``INCLUSIVE``), its
  VAT is ``total_tax_money``, its rate the ``percentage`` of the order tax it applies.
- Payments are the order's ``tenders``; the method is the tender ``type`` exactly as Square
  names it (``CARD``, ``CASH``, ...); ``amount_money`` includes ``tip_money``.

Requests carry ``Authorization: Bearer <token>`` and ``Square-Version``. Square does not publish
its rate limits nor rate-limit headers: a 429 is retried with exponential backoff and jitter
(``Retry-After`` is honoured if it is ever sent).

A day is final when its end (in the location's time zone) is ``settle_hours`` in the past
(default 6 h: offline POS orders sync late) and none of its refunds is still ``PENDING``.

Tenant settings: :class:`~.settings.SquareSettings` (``location_ids``, default every ACTIVE
location; ``square_version``; ``settle_hours``; ``page_limit``). Credentials: ``access_token``.

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.SquareSource`).
"""
