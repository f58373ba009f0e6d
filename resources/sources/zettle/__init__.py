"""Zettle by PayPal (Purchase API v2): one business day of purchases.

What is read, and why this way (``vendor-docs/zettle-purchase-api-v2.adoc``, reference §4):

- Auth: the OAuth *assertion grant* for self-hosted apps: ``POST {oauth}/token`` with
  ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id`` and
  ``assertion=<API key>`` gives an ``access_token`` (7200 s). It is cached until shortly
  before it expires and fetched again once on a 401.
- ``GET /purchases/v2?startDate&endDate&limit&descending=false``: ``startDate`` inclusive,
  ``endDate`` exclusive, both **UTC** (``YYYY-MM-DDTHH:mm``), so the tenant's local day is
  converted (a DST day is 23 or 25 hours). Paging passes back ``lastPurchaseHash`` with the
  same other parameters until a page comes back empty.
- A purchase is a receipt: immutable. Refunds are *separate purchases* (``refund: true``,
  negative quantities and amounts, ``refundsPurchaseUUID1`` naming the sale), so a refund is
  naturally booked on the day it was made.
- Money is integer minor units. A product row's gross is ``unitPrice × quantity −
  discountValue`` minus its share of the purchase-level ``discounts`` (Zettle spreads them over
  rows in proportion to the rows' discounted prices); its net is Zettle's own
  ``rowTaxableAmount``; VAT is the difference. ``serviceCharge`` is split with its own
  ``vatPercentage``. ``GIFTCARD`` rows are gift cards sold (a liability, not revenue).
- Payments: ``type`` exactly as Zettle names it (``IZETTLE_CARD``, ``IZETTLE_CASH``, ``SWISH``,
  ...); ``amount`` includes ``gratuityAmount`` (the tip).

A day is final once its UTC end is ``settle_hours`` (default 6) in the past: Zettle has no
closure object ("no public API for cash register") and card readers may sync late.

Tenant config: ``source.base_url`` (purchase host, default ``https://purchase.izettle.com``),
settings :class:`~.settings.ZettleSettings` (``oauth_base_url``, ``page_limit``,
``settle_hours``, ``location``); credentials ``client_id`` and ``api_key`` (env var names).

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.ZettleSource`).
"""
