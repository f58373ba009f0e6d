"""Shopify (Admin REST API) → canonical sales frames for one business day.

What is read, and why (``reference/source-apis.md`` §1):

- ``GET shop.json`` → ``iana_timezone``: the business day is midnight-to-midnight in the shop's
  time zone (Shopify timestamps carry the shop's offset). When it differs from the tenant's time
  zone the shop wins and a note says so.
- ``GET orders.json?status=any&processed_at_min&processed_at_max`` → the day's sales, booked on
  ``processed_at`` (POS-offline and imported orders have ``processed_at ≠ created_at``).
- ``GET tender_transactions.json?processed_at_min&processed_at_max`` → the money that moved that
  day, by payment method exactly as Shopify names it (``credit_card``, ``cash``, ``gift_card``…);
  negative amounts are refunds. A gift card *redeemed* is therefore just a payment method.
- Refunds are booked on the day they were processed, not on the order's day: the orders behind the
  day's negative tender transactions are fetched with ``orders.json?ids=…`` and their
  ``refunds[]`` whose ``processed_at`` falls in the day become negative lines.
- ``GET products.json?ids=…&fields=id,product_type``: a line's category is its product's
  ``product_type``, fetched once per run for all products of the day and cached.

Paging follows the ``Link: <…page_info=…>; rel="next"`` header (filters may not be repeated with
``page_info``). Every response's ``X-Shopify-Shop-Api-Call-Limit: used/size`` paces the next call
(leaky bucket); a 429 is retried after its ``Retry-After`` by the vendor HTTP base
(:mod:`resources.http`).

Money is read from ``*_set.shop_money`` (the shop's currency) when present, as exact cents.

Modules: :mod:`.settings` (the tenant's ``source:`` block), :mod:`.client` (HTTP),
:mod:`.parser` (pure), :mod:`.source` (:class:`~.source.ShopifySource`).
"""

