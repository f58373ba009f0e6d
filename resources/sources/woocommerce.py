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
``Retry-After`` by :func:`resources.http.send_with_retries`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from core.errors import MappingError, SourceDataError, TransientError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.sources.common import DayContext, prorate, status_error, vat_of_gross
from resources.tenants import TenantConfig, secret

UTC = ZoneInfo("UTC")
PER_PAGE = 100
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})
DEFAULT_TIP_FEE_NAMES = ("Tip", "Pourboire", "Gratuity")


def _cents(value: Any, ctx: DayContext, record: str, field: str) -> int:
    """A WooCommerce decimal string ("29.35", "-9.00", "0.9") → integer cents, half up.

    Amounts are formatted with ``dp`` (default 2) decimals; an unrounded value (a shop asking more
    decimals) is rounded half up, which the day's rounding tolerance absorbs.
    """
    if value is None or value == "":
        return 0
    try:
        d = Decimal(str(value)) * 100
    except InvalidOperation as exc:
        raise ctx.error(f"not an amount: {value!r}", record, field) from exc
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(rate: Any) -> str:
    """WooCommerce's ``"20.0000"`` (always percent) → ``"20"``; ``"5.5000"`` → ``"5.5"``."""
    d = Decimal(str(rate).strip()).normalize()
    text = format(d, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


def _gmt(value: Any, ctx: DayContext, record: str, field: str) -> datetime:
    """``date_*_gmt`` ("2017-03-22T19:28:02", no offset) → aware UTC."""
    if not value:
        raise ctx.error("date is missing", record, field)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", ""))
    except ValueError as exc:
        raise ctx.error(f"not an ISO 8601 date: {value!r}", record, field) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class WooParser:
    """Pure parser for one day; ``rates`` maps tax rate id → percent string, ``categories`` maps
    product id → category name."""

    def __init__(self, *, tenant: str, day: str, rates: dict[str, str], categories: dict[str, str],
                 default_country: str = "FR", tip_fee_names: Iterable[str] = DEFAULT_TIP_FEE_NAMES):
        self.ctx = DayContext(tenant, day)
        self.rates = rates
        self.categories = categories
        self.default_country = default_country
        self.tip_names = {n.strip().casefold() for n in tip_fee_names}

    # -- helpers -----------------------------------------------------------------------------
    def _rate(self, order: dict, taxes: list[dict], record: str, field: str) -> str:
        """The line's VAT rate from its ``taxes[]`` (ids are tax rate ids)."""
        found = set()
        for i, t in enumerate(taxes or []):
            if _cents(t.get("total"), self.ctx, record, f"{field}[{i}].total") == 0 and \
                    _cents(t.get("subtotal"), self.ctx, record, f"{field}[{i}].subtotal") == 0:
                continue
            rid = str(t.get("id"))
            rate = self.rates.get(rid)
            if rate is None:
                for tl in order.get("tax_lines") or []:
                    if str(tl.get("rate_id")) == rid and tl.get("rate_percent") is not None:
                        rate = percent(tl["rate_percent"])
            if rate is None:
                raise self.ctx.error(f"tax rate id {rid} is unknown (not in /taxes nor in tax_lines)",
                                     record, f"{field}[{i}].id")
            found.add(rate)
        if len(found) > 1:
            raise self.ctx.error(f"more than one tax rate on one line ({', '.join(sorted(found))})", record, field)
        return found.pop() if found else "0"

    def _country(self, order: dict) -> str:
        for key in ("shipping", "billing"):
            code = (order.get(key) or {}).get("country")
            if code:
                return str(code).upper()
        return self.default_country

    def _row(self, order: dict, **fields: Any) -> dict:
        return {"order_id": str(order.get("id")), "location": "", "currency": order.get("currency") or "",
                "country": self._country(order), **fields}

    def _is_tip(self, fee: dict) -> bool:
        return str(fee.get("name") or "").strip().casefold() in self.tip_names

    # -- sales -------------------------------------------------------------------------------
    def order_lines(self, order: dict) -> list[dict]:
        record = f"order {order.get('number') or order.get('id')}"
        c = self.ctx
        rows: list[dict] = []
        for i, li in enumerate(order.get("line_items") or []):
            f = f"line_items[{i}]"
            rate = self._rate(order, li.get("taxes") or [], record, f"{f}.taxes")
            net = _cents(li.get("total"), c, record, f"{f}.total")
            vat = _cents(li.get("total_tax"), c, record, f"{f}.total_tax")
            sub = _cents(li.get("subtotal"), c, record, f"{f}.subtotal") if li.get("subtotal") not in (None, "") else net
            sub_vat = (_cents(li.get("subtotal_tax"), c, record, f"{f}.subtotal_tax")
                       if li.get("subtotal_tax") not in (None, "") else vat)
            pid = str(li.get("product_id") or "")
            common = {"product_id": pid, "sku": li.get("sku") or "", "category": self.categories.get(pid, ""),
                      "vat_rate": rate, "is_refund": False}
            rows.append(self._row(order, line_id=str(li.get("id")), kind="item",
                                  quantity=float(li.get("quantity") or 0), net_cents=sub, vat_cents=sub_vat,
                                  gross_cents=sub + sub_vat, **common))
            if sub != net or sub_vat != vat:
                dn, dv = net - sub, vat - sub_vat
                rows.append(self._row(order, line_id=f"{li.get('id')}:discount", kind="discount", quantity=0.0,
                                      net_cents=dn, vat_cents=dv, gross_cents=dn + dv, **common))
        for i, sl in enumerate(order.get("shipping_lines") or []):
            f = f"shipping_lines[{i}]"
            net = _cents(sl.get("total"), c, record, f"{f}.total")
            vat = _cents(sl.get("total_tax"), c, record, f"{f}.total_tax")
            rows.append(self._row(order, line_id=f"shipping:{sl.get('id')}", kind="shipping", product_id="",
                                  sku="", category="", quantity=1.0, net_cents=net, vat_cents=vat,
                                  gross_cents=net + vat, is_refund=False,
                                  vat_rate=self._rate(order, sl.get("taxes") or [], record, f"{f}.taxes")))
        for i, fee in enumerate(order.get("fee_lines") or []):
            if self._is_tip(fee):
                continue
            f = f"fee_lines[{i}]"
            net = _cents(fee.get("total"), c, record, f"{f}.total")
            vat = _cents(fee.get("total_tax"), c, record, f"{f}.total_tax")
            rows.append(self._row(order, line_id=f"fee:{fee.get('id')}", kind="fee", product_id="", sku="",
                                  category="", quantity=1.0, net_cents=net, vat_cents=vat, gross_cents=net + vat,
                                  is_refund=False,
                                  vat_rate=self._rate(order, fee.get("taxes") or [], record, f"{f}.taxes")))
        return rows

    def order_payment(self, order: dict) -> dict:
        record = f"order {order.get('number') or order.get('id')}"
        method = order.get("payment_method") or ""
        if not method:
            raise self.ctx.error("payment_method is empty on a paid order", record, "payment_method")
        tip = sum(_cents(fee.get("total"), self.ctx, record, f"fee_lines[{i}].total")
                  + _cents(fee.get("total_tax"), self.ctx, record, f"fee_lines[{i}].total_tax")
                  for i, fee in enumerate(order.get("fee_lines") or []) if self._is_tip(fee))
        return {"order_id": str(order.get("id")), "payment_id": str(order.get("transaction_id") or f"order:{order.get('id')}"),
                "location": "", "method": method, "amount_cents": _cents(order.get("total"), self.ctx, record, "total"),
                "tip_cents": tip, "is_refund": False, "currency": order.get("currency") or ""}

    # -- refunds -----------------------------------------------------------------------------
    def refund_lines(self, order: dict, refund: dict) -> tuple[list[dict], dict]:
        """Negative lines and the negative payment of one refund.

        A refund's ``amount`` is the money returned and takes precedence over its line items
        (WooCommerce docs); the part not explained by line items (an amount-only refund, refunded
        shipping) is spread over the order's VAT rates in proportion to their gross.
        """
        c = self.ctx
        record = f"order {order.get('number') or order.get('id')} refund {refund.get('id')}"
        amount = abs(_cents(refund.get("amount"), c, record, "amount"))
        rows: list[dict] = []
        for i, li in enumerate(refund.get("line_items") or []):
            f = f"line_items[{i}]"
            net = -abs(_cents(li.get("total"), c, record, f"{f}.total"))
            vat = -abs(_cents(li.get("total_tax"), c, record, f"{f}.total_tax"))
            pid = str(li.get("product_id") or "")
            rows.append(self._row(order, line_id=f"refund:{refund.get('id')}:{li.get('id')}", kind="item",
                                  product_id=pid, sku=li.get("sku") or "", category=self.categories.get(pid, ""),
                                  quantity=-abs(float(li.get("quantity") or 0)), net_cents=net, vat_cents=vat,
                                  gross_cents=net + vat, is_refund=True,
                                  vat_rate=self._rate(order, li.get("taxes") or [], record, f"{f}.taxes")))
        rest = -amount - sum(r["gross_cents"] for r in rows)
        if rest:
            weights: dict[str, int] = {}
            for r in self.order_lines(order):
                weights[r["vat_rate"]] = weights.get(r["vat_rate"], 0) + r["gross_cents"]
            weights = {k: v for k, v in weights.items() if v > 0}
            if not weights:
                raise c.error("refund amount cannot be placed: the order has no sales to refund", record, "amount")
            for rate, part in sorted(prorate(rest, weights).items()):
                if part:
                    v = vat_of_gross(part, rate)
                    rows.append(self._row(order, line_id=f"refund:{refund.get('id')}:amount:{rate}", kind="item",
                                          product_id="", sku="", category="", quantity=0.0, net_cents=part - v,
                                          vat_cents=v, gross_cents=part, is_refund=part < 0, vat_rate=rate))
        payment = {"order_id": str(order.get("id")), "payment_id": f"refund:{refund.get('id')}", "location": "",
                   "method": order.get("payment_method") or "", "amount_cents": -amount, "tip_cents": 0,
                   "is_refund": True, "currency": order.get("currency") or ""}
        if not payment["method"]:
            raise c.error("payment_method is empty on a refunded order", record, "payment_method")
        return rows, payment


def parse_woocommerce_day(
    orders: Iterable[dict],
    refunds: dict[str, list[dict]],
    *,
    start: datetime,
    end: datetime,
    rates: dict[str, str],
    categories: dict[str, str],
    tenant: str,
    day: str,
    default_country: str = "FR",
    refund_orders: Iterable[dict] = (),
    tip_fee_names: Iterable[str] = DEFAULT_TIP_FEE_NAMES,
) -> SourceDay:
    """Pure: WooCommerce payloads → one business day ``[start, end)``.

    ``orders`` are the orders created in the day; ``refund_orders`` other orders whose refunds may
    fall in the day; ``refunds`` maps order id → ``GET /orders/{id}/refunds``.
    """
    p = WooParser(tenant=tenant, day=day, rates=rates, categories=categories, default_country=default_country,
                  tip_fee_names=tip_fee_names)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    lines: list[dict] = []
    payments: list[dict] = []
    notes: list[str] = []
    by_id: dict[str, dict] = {}
    for order in orders:
        oid = str(order.get("id"))
        by_id[oid] = order
        record = f"order {order.get('number') or oid}"
        if not start <= _gmt(order.get("date_created_gmt"), p.ctx, record, "date_created_gmt") < end:
            continue
        if order.get("status") not in PAID_STATUSES:
            notes.append(f"{record}: status {order.get('status')}, not booked")
            continue
        lines += p.order_lines(order)
        payments.append(p.order_payment(order))
    for order in refund_orders:
        by_id.setdefault(str(order.get("id")), order)
    for oid, order_refunds in refunds.items():
        order = by_id.get(oid)
        if order is None:
            raise p.ctx.error("refunds given for an order that was not fetched", f"order {oid}", "refunds")
        for refund in order_refunds:
            record = f"order {order.get('number') or oid} refund {refund.get('id')}"
            if start <= _gmt(refund.get("date_created_gmt"), p.ctx, record, "date_created_gmt") < end:
                rows, payment = p.refund_lines(order, refund)
                lines += rows
                payments.append(payment)
    return SourceDay(sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
                     payments=make_frame(payments, PAYMENT_COLUMNS), notes=notes)


# ---------------------------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------------------------


def _gmt_param(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


class WooCommerceClient:
    """REST v3 client for one store (``base_url`` is the site root, e.g. ``https://shop.example``)."""

    def __init__(self, base_url: str, key: str, secret_: str, *, query_string_auth: bool = False,
                 policy: RetryPolicy | None = None, timeout: float = 30.0, tenant: str | None = None):
        self.api_root = f"{base_url.rstrip('/')}/wp-json/wc/v3/"
        self._auth_params = {"consumer_key": key, "consumer_secret": secret_} if query_string_auth else {}
        self.http = httpx.Client(auth=None if query_string_auth else httpx.BasicAuth(key, secret_),
                                 headers={"Accept": "application/json"}, timeout=timeout)
        self.policy = policy or RetryPolicy()
        self.tenant = tenant
        self.per_page = PER_PAGE
        self.requests = 0
        self.retries = 0
        self._rates: dict[str, str | None] = {}
        self._categories: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict | None = None, *, allow_404: bool = False) -> httpx.Response:
        request = self.http.build_request("GET", self.api_root + path, params={**(params or {}), **self._auth_params})

        def on_retry(attempt: int, why: str) -> None:
            self.retries += 1

        response = send_with_retries(self.http, request, policy=self.policy, what=f"WooCommerce GET /{path}",
                                     on_retry=on_retry)
        self.requests += 1
        if response.status_code == 404 and allow_404:
            return response
        status = response.status_code
        if status >= 400:
            detail = _error_text(response)
            raise status_error(status, tenant=self.tenant,
                               refused=f"WooCommerce refused the consumer key (HTTP {status}): {detail}",
                               unavailable=f"WooCommerce GET /{path}: HTTP {status} after retries",
                               rejected=f"WooCommerce GET /{path}: HTTP {status}: {detail}")
        return response

    def paginate(self, path: str, params: dict) -> Iterator[dict]:
        """Every item, page by page, until ``X-WP-TotalPages``."""
        page = 1
        while True:
            response = self._get(path, {**params, "per_page": self.per_page, "page": page})
            yield from response.json()
            total_pages = int(response.headers.get("x-wp-totalpages", "1") or 1)
            if page >= total_pages:
                return
            page += 1

    def orders(self, **params: Any) -> list[dict]:
        return list(self.paginate("orders", {"status": "any", "dates_are_gmt": "true", "orderby": "date",
                                             "order": "asc", **params}))

    def refunds(self, order_id: str) -> list[dict]:
        return list(self.paginate(f"orders/{order_id}/refunds", {}))

    def tax_rates(self, ids: Iterable[str]) -> dict[str, str]:
        """rate id → percent; each id fetched once (cached); a deleted rate maps to nothing."""
        for rid in sorted({str(i) for i in ids} - set(self._rates)):
            response = self._get(f"taxes/{rid}", allow_404=True)
            self._rates[rid] = None if response.status_code == 404 else percent(response.json()["rate"])
        return {k: v for k, v in self._rates.items() if v is not None}

    def product_categories(self, ids: Iterable[str]) -> dict[str, str]:
        """product id → first category name (cached); fetched ``include``-batched."""
        missing = sorted({str(i) for i in ids if i and str(i) != "0"} - set(self._categories))
        for i in range(0, len(missing), self.per_page):
            chunk = missing[i : i + self.per_page]
            for product in self.paginate("products", {"include": ",".join(chunk)}):
                cats = product.get("categories") or []
                self._categories[str(product["id"])] = (cats[0].get("name") or "") if cats else ""
            for pid in chunk:
                self._categories.setdefault(pid, "")
        return dict(self._categories)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('code')}: {body.get('message')}"
    except Exception:
        return response.text[:200]


def _tax_ids(obj: dict) -> set[str]:
    ids = set()
    for key in ("line_items", "shipping_lines", "fee_lines"):
        for line in obj.get(key) or []:
            ids |= {str(t.get("id")) for t in line.get("taxes") or []}
    return ids


class WooCommerceSource:
    """Tenant settings: ``source.base_url`` (site root), credentials ``consumer_key`` and
    ``consumer_secret`` (env var names), settings ``query_string_auth`` (default false),
    ``settle_minutes`` (default 15), ``per_page`` (≤ 100), ``tip_fee_names``."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *, clock: Callable[[], datetime] | None = None):
        self.tenant = tenant
        src = tenant.source
        if not src.base_url:
            raise MappingError("WooCommerce source needs source.base_url (the site root)", tenant=tenant.slug)
        envs = [src.credentials.get("consumer_key"), src.credentials.get("consumer_secret")]
        if not all(envs):
            raise MappingError("WooCommerce source needs credentials.consumer_key and credentials.consumer_secret "
                               "(env var names)", tenant=tenant.slug)
        self.client = WooCommerceClient(
            src.base_url, secret(envs[0], tenant=tenant.slug, what="WooCommerce consumer key"),
            secret(envs[1], tenant=tenant.slug, what="WooCommerce consumer secret"),
            query_string_auth=bool(src.settings.get("query_string_auth", False)), tenant=tenant.slug,
        )
        self.client.per_page = max(1, min(PER_PAGE, int(src.settings.get("per_page", PER_PAGE))))
        self.settle = timedelta(minutes=int(src.settings.get("settle_minutes", 15)))
        self.tip_fee_names = tuple(src.settings.get("tip_fee_names", DEFAULT_TIP_FEE_NAMES))
        self._clock = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.client.close()

    def fetch(self, period: SalesPeriod) -> SourceDay:
        try:
            return self._fetch(period)
        except (SourceDataError, MappingError, TransientError) as exc:
            raise exc.with_context(tenant=self.tenant.slug, day=period.key) from None

    def _fetch(self, period: SalesPeriod) -> SourceDay:
        start, end = period.start_utc, period.end_utc
        if self._clock() < end + self.settle:
            return SourceDay(complete=False, waiting_reason=(
                f"the day ends at {period.end_local.isoformat()} (+{self.settle} to settle)"))
        # `after`/`before` are exclusive on WordPress' side: widen by a second, filter exactly here.
        created = self.client.orders(after=_gmt_param(start - timedelta(seconds=1)), before=_gmt_param(end))
        modified = self.client.orders(modified_after=_gmt_param(start - timedelta(seconds=1)))
        known = {str(o["id"]) for o in created}
        others = [o for o in modified if str(o["id"]) not in known and o.get("refunds")]
        refunds = {str(o["id"]): self.client.refunds(str(o["id"])) for o in [*created, *others] if o.get("refunds")}
        tax_ids = set().union(*(_tax_ids(o) for o in [*created, *others]),
                              *(_tax_ids(r) for rs in refunds.values() for r in rs))
        rates = self.client.tax_rates(tax_ids)
        pids = {str(li.get("product_id")) for o in [*created, *others] for li in o.get("line_items") or []}
        pids |= {str(li.get("product_id")) for rs in refunds.values() for r in rs for li in r.get("line_items") or []}
        categories = self.client.product_categories(pids)
        day = parse_woocommerce_day(
            created, refunds, start=start, end=end, rates=rates, categories=categories, tenant=self.tenant.slug,
            day=period.key, default_country=self.tenant.country, refund_orders=others,
            tip_fee_names=self.tip_fee_names,
        )
        day.notes.append(f"{len(created)} orders created, {len(refunds)} orders with refunds read; "
                         f"{self.client.requests} requests, {self.client.retries} retries")
        day.origin = self.client.api_root
        return day
