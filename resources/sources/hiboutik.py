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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from core.errors import MappingError, SourceDataError, TransientError
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    empty_frame,
    make_frame,
    normalize_rate,
)
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.sources.common import DayContext
from resources.tenants import TenantConfig, secret

SPLIT_PAYMENT = "DIV"
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


# --------------------------------------------------------------------------- pure parsing


def to_cents(value: Any) -> int:
    """Hiboutik decimal string (``"3.00"``, ``"-12.90"``) → integer cents (exact, 2 decimals)."""
    try:
        amount = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"{value!r} is not an amount in cents")
    return int(amount)


class _Ctx(DayContext):
    def cents(self, value: Any, record: str, field: str) -> int:
        return self.parsed(to_cents, value, record, field)


def _rate(item: dict, ctx: _Ctx, record: str) -> str:
    """``tax_value`` (percent: 20, 5.5) cross-checked with ``vat`` (fraction: "0.200")."""
    found = {}
    for name in ("tax_value", "vat"):
        if item.get(name) not in (None, ""):
            try:
                found[name] = normalize_rate(item[name], fraction=name == "vat")
            except ValueError as exc:
                raise ctx.error(f"{item[name]!r} is not a VAT rate", record, name) from exc
    if not found:
        raise ctx.error("line without tax_value nor vat", record, "tax_value")
    if len(set(found.values())) > 1:
        raise ctx.error(f"tax_value {item['tax_value']!r} disagrees with vat {item['vat']!r}", record, "vat")
    return next(iter(found.values()))


def parse_sale(sale: dict, *, categories: dict[str, str], tenant: TenantConfig, ctx: _Ctx,
               tip_skus: frozenset[str] = frozenset()) -> tuple[list[dict], list[dict]]:
    """One Hiboutik sale detail → canonical line rows and payment rows (signed cents)."""
    order_id = str(sale.get("sale_id") or "")
    if not order_id:
        raise ctx.error("sale without sale_id", "?", "sale_id")
    location = str(sale.get("store_id") or "")
    currency = str(sale.get("currency") or tenant.currency)
    if ctx.cents(sale.get("service_charge") or "0", order_id, "service_charge"):
        raise ctx.error(f"service charge {sale['service_charge']} has no VAT breakdown in the API; "
                        "record it as a product line instead", order_id, "service_charge")
    lines: list[dict] = []
    tips = 0
    for i, item in enumerate(sale.get("line_items") or []):
        line_id = str(item.get("line_item_id") or f"{order_id}-{i + 1}")
        record = f"{order_id}/{line_id}"
        gross = ctx.cents(item.get("item_total_gross"), record, "item_total_gross")
        net = ctx.cents(item.get("item_total_net"), record, "item_total_net")
        vat = ctx.cents(item.get("item_total_tax"), record, "item_total_tax")
        if net + vat != gross:
            raise ctx.error(f"item_total_net {item['item_total_net']} + item_total_tax {item['item_total_tax']} "
                            f"!= item_total_gross {item['item_total_gross']}", record, "item_total_gross")
        rate = _rate(item, ctx, record)
        sku = str(item.get("products_ref_ext") or item.get("product_barcode") or "")
        if sku and sku in tip_skus:
            if vat:
                raise ctx.error(f"tip line {sku!r} carries VAT ({rate} %); a tip is outside VAT", record,
                                "item_total_tax")
            tips += gross
            continue
        product = int(item.get("product_id") or 0)
        kind = "discount" if product == 0 and gross < 0 else "item"
        returned = int(item.get("line_item_id_return") or 0) != 0
        try:
            quantity = float(Decimal(str(item.get("quantity") or 0)))
        except InvalidOperation as exc:
            raise ctx.error(f"{item.get('quantity')!r} is not a quantity", record, "quantity") from exc
        category_id = str(item.get("product_category") or "0")
        lines.append({
            "order_id": order_id, "line_id": line_id, "location": location, "kind": kind,
            "product_id": str(product) if product else "", "sku": sku,
            "category": categories.get(category_id, ""), "quantity": quantity, "net_cents": net,
            "vat_rate": rate, "vat_cents": vat, "gross_cents": gross, "country": tenant.country,
            "is_refund": returned or (kind == "item" and gross < 0), "currency": currency,
        })
    total = ctx.cents(sale.get("total"), order_id, "total")
    if sum(row["gross_cents"] for row in lines) + tips != total:
        raise ctx.error(f"line items add up to {sum(r['gross_cents'] for r in lines) + tips} cents, "
                        f"the sale total is {sale.get('total')}", order_id, "total")
    parts = sale.get("payment_details") or []
    if sale.get("payment") == SPLIT_PAYMENT or parts:
        raw = [(str(p.get("payment_detail_id") or f"{order_id}-{k + 1}"), str(p.get("payment_type") or ""),
                ctx.cents(p.get("payment_amount"), f"{order_id}/{p.get('payment_detail_id')}",
                          "payment_amount")) for k, p in enumerate(parts)]
        if sum(a for _, _, a in raw) != total:
            raise ctx.error(f"split payment parts add up to {sum(a for _, _, a in raw)} cents, the sale "
                            f"total is {sale.get('total')}", order_id, "payment_details")
    elif total:
        raw = [(order_id, str(sale.get("payment") or ""), total)]
    else:
        raw = []
    payments = []
    for payment_id, method, amount in raw:
        if not method:
            raise ctx.error("payment without a payment type", f"{order_id}/{payment_id}", "payment")
        payments.append({"order_id": order_id, "payment_id": payment_id, "location": location,
                         "method": method, "amount_cents": amount, "tip_cents": 0,
                         "is_refund": amount < 0, "currency": currency})
    if tips:
        takers = [p for p in payments if p["amount_cents"] >= tips]
        if tips < 0 or not takers:
            raise ctx.error(f"a tip of {tips} cents cannot be carried by any payment of the sale", order_id,
                            "line_items")
        takers[-1]["tip_cents"] = tips
    return lines, payments


def parse_day(sales: list[dict], *, categories: dict[str, str], tenant: TenantConfig, day: date,
              tip_skus: frozenset[str] = frozenset(), origin: str = "") -> SourceDay:
    """Pure: the detailed sales of one store-day → a complete ``SourceDay``."""
    ctx = _Ctx(tenant.slug, day.isoformat())
    lines: list[dict] = []
    payments: list[dict] = []
    for sale in sales:
        sl, sp = parse_sale(sale, categories=categories, tenant=tenant, ctx=ctx, tip_skus=tip_skus)
        lines.extend(sl)
        payments.extend(sp)
    return SourceDay(sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
                     payments=make_frame(payments, PAYMENT_COLUMNS),
                     closure_totals=empty_frame(CLOSURE_COLUMNS), origin=origin)


def open_sales_of_day(open_sales: list[dict], day: date) -> list[str]:
    """Ids of the open sales created on ``day`` (``created_at`` is local "YYYY-MM-DD HH:MM:SS")."""
    return [str(s.get("sale_id")) for s in open_sales if str(s.get("created_at") or "")[:10] == day.isoformat()]


# --------------------------------------------------------------------------- HTTP client


class HiboutikClient:
    def __init__(self, base_url: str, user: str, api_key: str, *, tenant: str,
                 policy: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0):
        self.tenant = tenant
        self.policy = policy or RetryPolicy()
        self.http = httpx.Client(base_url=base_url.rstrip("/"), auth=(user, api_key), transport=transport,
                                 timeout=timeout, headers={"Accept": "application/json"})

    def _get(self, url: str, day: date) -> httpx.Response:
        request = self.http.build_request("GET", url)
        what = f"Hiboutik GET {request.url.path}"
        response = send_with_retries(self.http, request, policy=self.policy, what=what)
        if response.status_code == 200:
            return response
        try:
            body = response.json()
            detail = body.get("error_description") or body.get("error") or response.text
        except (ValueError, AttributeError):
            detail = response.text
        kw = {"tenant": self.tenant, "day": day.isoformat()}
        if response.status_code in (401, 403):
            raise MappingError(f"{what}: HTTP {response.status_code} ({detail}); check the Hiboutik user "
                               "and API key", **kw)
        if response.status_code in (400, 404):
            raise SourceDataError(f"{what}: HTTP {response.status_code}: {detail}", **kw)
        raise TransientError(f"{what}: HTTP {response.status_code} after retries: {detail}", **kw)

    def _pages(self, path: str, day: date) -> Iterator[list[dict]]:
        url: str | None = path
        while url:
            response = self._get(url, day)
            yield response.json() or []
            match = _NEXT_LINK.search(response.headers.get("link", ""))
            url = match.group(1) if match else None

    def closed_sales(self, store_id: str, day: date) -> list[dict]:
        path = f"/closed_sales/{store_id}/{day:%Y}/{day:%m}/{day:%d}"
        return [s for page in self._pages(path, day) for s in page]

    def open_sales(self, store_id: str, day: date) -> list[dict]:
        return [s for page in self._pages(f"/open_sales/{store_id}", day) for s in page]

    def sale(self, sale_id: str, day: date) -> dict:
        body = self._get(f"/sales/{sale_id}", day).json()
        sale = body[0] if isinstance(body, list) and body else body
        if not isinstance(sale, dict) or not sale:
            raise SourceDataError(f"GET /sales/{sale_id} returned no sale", tenant=self.tenant,
                                  day=day.isoformat(), record=str(sale_id))
        return sale

    def categories(self, day: date) -> dict[str, str]:
        return {str(c["category_id"]): str(c.get("category_name") or "")
                for page in self._pages("/categories", day) for c in page}

    def close(self) -> None:
        self.http.close()


class HiboutikSource:
    """``SalesSource`` for Hiboutik tenants.

    Settings: ``store_id`` (default 1), ``tip_skus`` (optional). Credentials: ``user``, ``api_key``.
    ``base_url``: ``https://{account}.hiboutik.com/api`` (or ``settings.account``).
    """

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *,
                 transport: httpx.BaseTransport | None = None, policy: RetryPolicy | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.tenant = tenant
        settings = tenant.source.settings
        self.store_id = str(settings.get("store_id", 1))
        self.tip_skus = frozenset(str(s) for s in settings.get("tip_skus") or [])
        base = tenant.source.base_url
        if not base:
            if not settings.get("account"):
                raise MappingError("Hiboutik needs source.base_url or source.settings.account", tenant=tenant.slug)
            base = f"https://{settings['account']}.hiboutik.com/api"
        self.base_url = base
        creds = tenant.source.credentials
        for key in ("user", "api_key"):
            if key not in creds:
                raise MappingError(f"source.credentials.{key} (env var name) is missing", tenant=tenant.slug)
        self.client = HiboutikClient(
            base, secret(creds["user"], tenant=tenant.slug, what="Hiboutik user"),
            secret(creds["api_key"], tenant=tenant.slug, what="Hiboutik API key"),
            tenant=tenant.slug, policy=policy, transport=transport)
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._categories: dict[str, str] | None = None

    def fetch(self, period: SalesPeriod) -> SourceDay:
        now = self._clock().astimezone(period.tz)
        if now < period.end_local:
            return SourceDay(complete=False, origin=self.base_url,
                             waiting_reason=f"the business day is not over in {self.tenant.timezone} "
                                            f"(until {period.end_local.isoformat()})")
        days = period.days()
        listing = self.client.open_sales(self.store_id, days[0])
        still_open = [sid for d in days for sid in open_sales_of_day(listing, d)]
        if still_open:
            return SourceDay(complete=False, origin=self.base_url,
                             waiting_reason=f"{len(still_open)} sale(s) created that day are still open at the "
                                            f"till of store {self.store_id}: {', '.join(still_open[:10])}")
        if self._categories is None:
            self._categories = self.client.categories(days[0])
        parsed = []
        for day in days:
            details = []
            for summary in self.client.closed_sales(self.store_id, day):
                if "line_items" in summary:
                    details.append(summary)
                else:
                    details.append(self.client.sale(str(summary["sale_id"]), day))
            parsed.append(parse_day(details, categories=self._categories, tenant=self.tenant, day=day,
                                    tip_skus=self.tip_skus, origin=self.base_url))
        if len(parsed) == 1:
            return parsed[0]
        return SourceDay(
            sales_lines=make_frame([r for p in parsed for r in p.sales_lines.to_dict("records")],
                                   SALES_LINE_COLUMNS),
            payments=make_frame([r for p in parsed for r in p.payments.to_dict("records")], PAYMENT_COLUMNS),
            origin=self.base_url)

    def close(self) -> None:
        self.client.close()

