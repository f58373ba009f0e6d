"""WooCommerce (REST API v3, ``/wp-json/wc/v3``) → canonical sales frames for one business day.

What is read (``vendor-docs/woocommerce-wc-v3-*.md``, ``reference/source-apis.md`` §2):

- ``GET /orders?after&before&dates_are_gmt=true&status=any&per_page=100&page=N`` → the orders
  *created* in the business day (converted to GMT). Paid statuses only (``processing``,
  ``completed``, ``refunded``); pending / on-hold / cancelled / failed orders are listed in the
  notes and not booked. Paging by ``page`` until ``X-WP-TotalPages``.
- Refunds are booked on the refund's own date: WooCommerce has no cross-order refunds list, so
  the orders *modified* since the day began (``modified_after``) that carry ``refunds[]`` are
  read, then ``GET /orders/{id}/refunds`` keeps the refunds whose ``date_created_gmt`` falls in
  the day.
- Line VAT rates: ``line_items[].taxes[].id`` is a tax rate id, resolved once per run with
  ``GET /taxes/{id}`` (``"rate": "20.0000"``, cached); a rate deleted since falls back to the
  order's ``tax_lines[].rate_percent`` when the shop sends it.
- Category: the first of the product's ``categories[].name`` (``GET /products?include=…``, cached).
- Line totals are after coupons; the coupon part (``subtotal − total``) becomes its own
  ``discount`` line so the accountant can book discounts separately. ``fee_lines`` are fees;
  fee lines whose name is in the tenant's ``tip_fee_names`` (tip plugins) are tips, not sales.
- One payment per order (WooCommerce has no split tenders): ``payment_method`` (the gateway id,
  stable across translations, e.g. ``bacs``, ``stripe``, ``cod``) for ``total``; a refund is a
  negative payment of its ``amount`` with the order's method.

Auth: consumer key/secret as HTTP Basic over HTTPS (default), or as ``consumer_key`` /
``consumer_secret`` query parameters (``settings.query_string_auth: true``) for servers that strip
the Authorization header. No documented rate limit: 429/5xx are retried with backoff and
``Retry-After`` by the vendor HTTP base (:mod:`resources.http`).

Modules: :mod:`.settings` (the tenant's ``source:`` block), :mod:`.client` (HTTP),
:mod:`.parser` (pure), :mod:`.source` (:class:`~.source.WooCommerceSource`).
"""
