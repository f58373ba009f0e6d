"""Zelty (``https://api.zelty.fr/2.10``): a restaurant's day is its till closure and the orders in it.

What it reads (Zelty OpenAPI "API Reference", v2.10; see ``docs/sources/zelty.md``):

- ``GET /closures?after=&before=&restaurant_ids=&limit=&offset=`` → ``{"closures": [{id,
  id_restaurant, created_at, date, turnover, taxes, comment}], "errno": 0}``. A closure (the till's
  Z) is what makes a business day final: **no closure for the day yet → waiting**. Its
  ``turnover`` and ``taxes`` (cents) are the day's reference totals: the orders must add up to them.
- ``GET /orders?from=&to=&till_id={closure id}&expand[]=items&expand[]=transactions&expand[]=price
  &limit=&offset=`` → ``{"orders": [...], "errno": 0}``, paged by ``offset``/``limit`` until a short
  page. ``till_id`` ("filter by closures") keeps exactly the orders of that till session, so an
  order rung up at 00:30 lands on the business day of its closure.

Amounts are integer **cents**. An item (one unit: order entries have no quantity) has
``price.final_amount_inc_tax`` and ``tax{tax_amount, tax_rate}``; rates are in hundredths of a
percent like the documented ``Tax.rate`` ("1000 = 10%"). Order-level totals per rate are in
``price.taxes[]{rate, amount, inc_tax, exc_tax}``; when the items do not add up to them the
difference is an order-level discount (negative) or charge such as a delivery fee (positive), booked
as a ``discount`` / ``fee`` line at that rate. Transactions (``price`` in cents, ``method`` name)
are the payments; Zelty has no tip field, so money taken above the order's total (a method allowing
"overflow") is the tip, carried by the last transaction.

Auth: ``Authorization: Bearer <api key>`` (env var named by ``source.credentials.api_key``).

Modules: :mod:`.settings`, :mod:`.client` (HTTP), :mod:`.parser` (pure), :mod:`.source`
(:class:`~.source.ZeltySource`).
"""
