"""Hiboutik (API v2, ``https://{account}.hiboutik.com/api``): closed sales of one store per day.

What it reads:

- ``GET /closed_sales/{store_id}/{YYYY}/{MM}/{DD}`` — the sales closed that day (summaries), paged
  with the ``Link`` header (``<…?p=2>; rel="next"``), as the vendor PHP client
  (``hiboutik/hiboutikapi`` ``HiboutikAPI::pagination``) reads it;
- ``GET /sales/{sale_id}`` — the sale's detail (a one-element list): ``line_items[]`` with per-line
  ``item_total_gross / item_total_net / item_total_tax`` (decimal strings), ``tax_value`` (20) and
  ``vat`` ("0.200"), ``product_category`` (an id) and ``line_item_id_return`` (a returned line);
  ``payment`` is the payment type code ("CB", "ESP"…) or ``"DIV"`` for a split payment whose
  parts are ``payment_details[]{payment_detail_id, payment_type, payment_amount}``;
- ``GET /categories`` — category id → name (read once per source object);
- ``GET /open_sales/{store_id}`` — sales still open at the till.

A day is final when it is over in the tenant's time zone and no sale created that day is still
open at the till (otherwise: *waiting*). Hiboutik has no Z-report endpoint, so there are no
closure totals; each sale is checked instead (lines add up to ``total``, split parts add up to
``total``). Hiboutik has no tip field: shops record a tip as a product at 0 % VAT, so lines whose
SKU is listed in ``settings.tip_skus`` are turned into the tip of the sale's last payment.

Auth: HTTP basic with the user's login and API key (env var names in
``source.credentials.user`` and ``source.credentials.api_key``).

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.HiboutikSource`).
"""
