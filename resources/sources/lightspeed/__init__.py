"""Lightspeed Restaurant (K-Series) Financial API v2: one merchant business day per location.

What it reads (vendor OpenAPI ``financial-api``, https://api-docs.lsk.lightspeed.app):

- ``GET /f/v2/business-location/{businessLocationId}/sales-daily?date=YYYY-MM-DD&include=payments``
  → ``{sales[], nextStartOfDayAsIso8601, dataComplete}``. The date is the merchant's *business
  day* (it may start at e.g. 05:30), so an order closed at 00:30 belongs to the day before: the
  POS already made the time-zone and day-boundary decision, we do not second-guess it.
  Payments appear only with ``include=payments`` (documented). The endpoint is documented
  without paging parameters (paging exists only on the ranged ``/sales`` endpoint), so one call
  per location and day returns the whole day.
- ``dataComplete: false`` → the day is *waiting* (``SourceDay(complete=False)``), never posted
  half-done.

Money is decimal strings (lines up to 6 decimals, payments 2 decimals, half-even rounded by
Lightspeed); we convert with ``Decimal`` and round half-even to cents. A line's net is
``totalNetAmountWithoutTax`` and its VAT ``taxAmount``; the TTC ``totalNetAmountWithTax`` must equal
their sum (±1 cent of six-decimal rounding, then the TTC wins), or their sum plus ``serviceCharge``,
which then becomes its own untaxed ``service_charge`` line (that is how the vendor's documented
example adds up: 8.33 + 1.67 + 1.00 service = 11.00 paid). VAT: ``taxRatePercentage``
("20.00") cross-checked with ``taxLines[].taxRate``, a multiplier ("1.2" → 20 %). The line's
category is its accounting group's name. A payment's ``tip`` is carried next to
``netAmountWithTax`` (the amount of the bill); the canonical amount is their sum.

Auth is the OAuth2 bearer access token of the merchant (scope ``financial-api``), read from the
env var named by ``source.credentials.access_token``. Refresh tokens are single-use and rotate,
so renewing the token is left to the deployment's secret manager (a 401 is a mapping error:
"re-authorize").

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.LightspeedSource`).
"""
