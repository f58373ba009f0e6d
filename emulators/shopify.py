"""Shopify Admin REST emulator (the subset a daily sales export reads).

Serves, under ``/admin/api/{version}/``: ``shop.json``, ``orders.json`` (``status`` — default
``open``, ``any`` for all —, ``ids``, ``processed_at_min/max`` inclusive, ``created_at_min/max``,
``limit`` ≤ 250, ``fields``), ``tender_transactions.json`` (``processed_at_min/max``, ``order``,
``since_id``, ``limit``) and ``products.json`` (``ids``, ``fields``, ``limit``).

Behaviour copied from Shopify because clients break on it:

- ``X-Shopify-Access-Token`` is required (401 ``{"errors": "[API] Invalid API key or access token
  (unrecognized login or wrong password)"}``).
- Cursor paging: ``Link: <…?limit=N&page_info=…>; rel="next"`` (and ``rel="previous"``); a request
  with ``page_info`` may only add ``limit`` and ``fields`` (400 otherwise).
- Leaky bucket per token: every response has ``X-Shopify-Shop-Api-Call-Limit: used/size``; a full
  bucket answers 429 with ``Retry-After`` and ``{"errors": "Exceeded 2 calls per second for api
  client. Reduce request rates to resume uninterrupted service."}``. ``force_429`` lists request
  numbers (1-based) answered 429 regardless, for deterministic tests.

State is plain Shopify-shaped dicts (:class:`ShopifyState`); :func:`state_from_simday` builds it
from the vendor-neutral generator's ``SimDay``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import vat_of_gross

MAX_LIMIT = 250
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."


@dataclass
class ShopifyState:
    shop: dict = field(default_factory=lambda: {
        "id": 548380009, "name": "Demo shop", "iana_timezone": "Europe/Paris", "currency": "EUR",
        "taxes_included": True, "country_code": "FR", "myshopify_domain": "demo.myshopify.com",
    })
    orders: list[dict] = field(default_factory=list)
    tender_transactions: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    token: str = "shpat_test"
    bucket_size: int = 40
    leak_rate: float = 2.0
    retry_after: str = "2.0"
    force_429: set[int] = field(default_factory=set)
    # Observability for tests: every request as (path, query dict).
    requests: list[tuple[str, dict]] = field(default_factory=list)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _project(item: dict, fields: str | None) -> dict:
    if not fields:
        return item
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    return {k: item[k] for k in wanted if k in item}


class _Bucket:
    def __init__(self, size: int, leak_rate: float):
        self.size, self.leak_rate = size, leak_rate
        self.level = 0.0
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        with self.lock:
            now = time.monotonic()
            self.level = max(0.0, self.level - (now - self.at) * self.leak_rate)
            self.at = now
            if self.level + 1 > self.size:
                return False, int(self.level)
            self.level += 1
            return True, round(self.level)


def create_app(state: ShopifyState) -> Starlette:
    bucket = _Bucket(state.bucket_size, state.leak_rate)
    counter = {"n": 0}
    lock = threading.Lock()

    def guard(request: Request) -> tuple[JSONResponse | None, dict]:
        with lock:
            counter["n"] += 1
            n = counter["n"]
        state.requests.append((request.url.path, dict(request.query_params)))
        if request.headers.get("x-shopify-access-token") != state.token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401), {}
        ok, used = bucket.take()
        headers = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{state.bucket_size}"}
        if not ok or n in state.force_429:
            headers["Retry-After"] = state.retry_after
            return JSONResponse({"errors": THROTTLED}, status_code=429, headers=headers), headers
        return None, headers

    def page(request: Request, resource: str, items: list[dict], filters: dict) -> JSONResponse:
        """Shopify cursor paging over ``items`` (already filtered and sorted)."""
        headers = request.state.headers
        q = request.query_params
        try:
            limit = int(q.get("limit", 50))
        except ValueError:
            return JSONResponse({"errors": {"limit": "must be an integer"}}, status_code=400, headers=headers)
        if not 1 <= limit <= MAX_LIMIT:
            return JSONResponse({"errors": {"limit": f"must be between 1 and {MAX_LIMIT}"}}, 400, headers)
        offset = filters.pop("_offset", 0)
        chunk = items[offset : offset + limit]
        links = []
        base = str(request.url).split("?", 1)[0]
        fields = q.get("fields")
        extra = f"&fields={fields}" if fields else ""
        if offset > 0:
            prev = _encode_cursor({"f": filters, "o": max(0, offset - limit), "d": "prev"})
            links.append(f'<{base}?limit={limit}{extra}&page_info={prev}>; rel="previous"')
        if offset + limit < len(items):
            nxt = _encode_cursor({"f": filters, "o": offset + limit, "d": "next"})
            links.append(f'<{base}?limit={limit}{extra}&page_info={nxt}>; rel="next"')
        if links:
            headers = {**headers, "Link": ", ".join(links)}
        return JSONResponse({resource: [_project(i, fields) for i in chunk]}, headers=headers)

    def filters_of(request: Request) -> tuple[dict | None, JSONResponse | None]:
        q = dict(request.query_params)
        token = q.pop("page_info", None)
        if token is None:
            q.pop("limit", None)
            q.pop("fields", None)
            q["_offset"] = 0
            return q, None
        extra = set(q) - {"limit", "fields"}
        if extra:
            msg = f"page_info cannot be combined with other parameters: {', '.join(sorted(extra))}"
            return None, JSONResponse({"errors": {"page_info": [msg]}}, status_code=400,
                                      headers=request.state.headers)
        try:
            cursor = _decode_cursor(token)
        except Exception:
            return None, JSONResponse({"errors": {"page_info": ["Invalid value."]}}, status_code=400,
                                      headers=request.state.headers)
        return {**cursor["f"], "_offset": cursor["o"]}, None

    def admitted_filters(request: Request) -> tuple[dict | None, JSONResponse | None]:
        """A list request past the guard (token, leaky bucket), then its filters: (filters, None),
        or (None, the error response to send)."""
        err, headers = guard(request)
        if err:
            return None, err
        request.state.headers = headers
        return filters_of(request)

    def in_range(value: str | None, lo: str | None, hi: str | None) -> bool:
        if lo is None and hi is None:
            return True
        if not value:
            return False
        t = _parse_time(value)
        return (lo is None or t >= _parse_time(lo)) and (hi is None or t <= _parse_time(hi))

    async def shop(request: Request) -> JSONResponse:
        err, headers = guard(request)
        if err:
            return err
        return JSONResponse({"shop": state.shop}, headers=headers)

    async def orders(request: Request) -> JSONResponse:
        f, err = admitted_filters(request)
        if err:
            return err
        status = f.get("status", "open")
        ids = {s for s in f.get("ids", "").split(",") if s}
        out = []
        for o in sorted(state.orders, key=lambda o: o["id"]):
            if ids and str(o["id"]) not in ids:
                continue
            if status == "open" and (o.get("closed_at") or o.get("cancelled_at")):
                continue
            if status == "closed" and not o.get("closed_at"):
                continue
            if status == "cancelled" and not o.get("cancelled_at"):
                continue
            if not in_range(o.get("processed_at"), f.get("processed_at_min"), f.get("processed_at_max")):
                continue
            if not in_range(o.get("created_at"), f.get("created_at_min"), f.get("created_at_max")):
                continue
            out.append(o)
        return page(request, "orders", out, f)

    async def tenders(request: Request) -> JSONResponse:
        f, err = admitted_filters(request)
        if err:
            return err
        since = int(f.get("since_id", 0) or 0)
        out = [t for t in state.tender_transactions
               if t["id"] > since and in_range(t.get("processed_at"), f.get("processed_at_min"),
                                                f.get("processed_at_max"))]
        desc = f.get("order", "processed_at DESC").upper().endswith("DESC")
        out.sort(key=lambda t: (_parse_time(t["processed_at"]), t["id"]), reverse=desc)
        return page(request, "tender_transactions", out, f)

    async def products(request: Request) -> JSONResponse:
        f, err = admitted_filters(request)
        if err:
            return err
        ids = {s for s in f.get("ids", "").split(",") if s}
        out = sorted((p for p in state.products if not ids or str(p["id"]) in ids), key=lambda p: p["id"])
        return page(request, "products", out, f)

    routes = [
        Route("/admin/api/{version}/shop.json", shop),
        Route("/admin/api/{version}/orders.json", orders),
        Route("/admin/api/{version}/tender_transactions.json", tenders),
        Route("/admin/api/{version}/products.json", products),
    ]
    return Starlette(routes=routes)


# ---------------------------------------------------------------------------------------------
# Seeding from the vendor-neutral generator
# ---------------------------------------------------------------------------------------------


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _money_set(cents: int, currency: str) -> dict:
    m = {"amount": _amount(cents), "currency_code": currency}
    return {"shop_money": m, "presentment_money": dict(m)}


def _numeric_id(value: Any, salt: int) -> int:
    text = str(value)
    return int(text) if text.isdigit() else zlib.crc32(f'{salt}:{text}'.encode()) + 10**9


def _tax_lines(rate: str, vat_cents: int, currency: str) -> list[dict]:
    """Shopify's ``tax_lines`` of a line taxed at ``rate`` percent (none at 0 %)."""
    if Decimal(rate) == 0:
        return []
    return [{"title": "TVA", "rate": float(Decimal(rate) / 100), "price": _amount(vat_cents),
             "price_set": _money_set(vat_cents, currency)}]


def _is_shipping(line: Any) -> bool:
    return getattr(line, "kind", "item") == "shipping"


def _shipping_line(line: Any, gross: int, vat: int, currency: str) -> dict:
    """A generator shipping line as Shopify's ``shipping_lines[]`` entry: the shipping price
    (taxes included, like the shop's prices) with its own ``tax_lines``."""
    return {
        "id": _numeric_id(line.line_id, 2), "title": line.name, "code": line.name, "source": "shopify",
        "price": _amount(gross), "price_set": _money_set(gross, currency),
        "discounted_price": _amount(gross), "discounted_price_set": _money_set(gross, currency),
        "discount_allocations": [], "tax_lines": _tax_lines(line.vat_rate, vat, currency),
    }


def _shipping_refund(adj_id: int, order_id: int, refund_id: int, gross: int, vat: int, currency: str) -> dict:
    """Refunded shipping as Shopify records it: a refund ``order_adjustments[]`` entry of kind
    ``shipping_refund`` whose ``amount`` excludes the VAT given back in ``tax_amount`` (both
    negative)."""
    return {
        "id": adj_id, "order_id": order_id, "refund_id": refund_id, "kind": "shipping_refund",
        "reason": "Shipping refund", "amount": _amount(-(gross - vat)), "tax_amount": _amount(-vat),
        "amount_set": _money_set(-(gross - vat), currency), "tax_amount_set": _money_set(-vat, currency),
    }


def _order_taxes(line_items: list[dict], shipping_lines: list[dict], currency: str, *,
                 order_level_only: bool) -> dict:
    """An order's own tax fields: ``tax_lines`` summing its lines' taxes per rate (Shopify's order
    ``tax_lines`` are that aggregation) and ``total_tax``. With ``order_level_only`` the lines lose
    their ``tax_lines``, as on orders created by apps or imports that give tax only on the order."""
    per_rate: dict[float, int] = {}
    for line in [*line_items, *shipping_lines]:
        for tl in line["tax_lines"]:
            per_rate[tl["rate"]] = per_rate.get(tl["rate"], 0) + int(Decimal(tl["price"]) * 100)
        if order_level_only:
            line["tax_lines"] = []
    total = sum(per_rate.values())
    return {"tax_lines": [{"title": "TVA", "rate": rate, "price": _amount(cents),
                           "price_set": _money_set(cents, currency)} for rate, cents in sorted(per_rate.items())],
            "total_tax": _amount(total), "total_tax_set": _money_set(total, currency)}


def state_from_simday(simday: Any, *, timezone: str = "Europe/Paris", currency: str = "EUR",
                      state: ShopifyState | None = None, order_level_tax: bool = False) -> ShopifyState:
    """Shopify orders / tender transactions / products for a generator ``SimDay`` (taxes included).

    Refund orders (``is_refund``) become a refund on their original order (``refund_of``), processed
    at their ``closed_at``; everything else is an order processed at ``closed_at``. Lines of kind
    ``shipping`` go where Shopify puts them: ``shipping_lines`` (with their own ``tax_lines``) on a
    sale, a ``shipping_refund`` order adjustment on a refund. Orders carry their ``tax_lines`` and
    ``total_tax``; with ``order_level_tax`` only the order does (see :func:`_order_taxes`).
    """
    state = state or ShopifyState()
    state.shop["iana_timezone"] = timezone
    tz = ZoneInfo(timezone)
    by_id = {str(o["id"]): o for o in state.orders}
    products = {str(p["id"]): p for p in state.products}
    next_tt = 1 + max((t["id"] for t in state.tender_transactions), default=0)
    for sim in simday.orders:
        when = sim.closed_at.astimezone(tz).isoformat(timespec="seconds")
        oid = _numeric_id(sim.order_id, 1)
        if getattr(sim, "is_refund", False) and getattr(sim, "refund_of", None) is not None:
            target = by_id.get(str(_numeric_id(sim.refund_of, 1)))
            if target is None:
                continue
            rlis, adjustments = [], []
            for li in sim.lines:
                gross = abs(li.unit_gross_cents * int(abs(li.quantity))) - abs(li.discount_gross_cents)
                vat = vat_of_gross(gross, li.vat_rate)
                if _is_shipping(li):
                    adjustments.append(_shipping_refund(_numeric_id(li.line_id, 2), target["id"], oid,
                                                        gross, vat, currency))
                    continue
                orig = next((x for x in target["line_items"] if x["sku"] == li.sku), target["line_items"][0])
                rlis.append({"id": _numeric_id(li.line_id, 2), "line_item_id": orig["id"],
                             "quantity": int(abs(li.quantity)), "subtotal": _amount(gross),
                             "subtotal_set": _money_set(gross, currency), "total_tax": _amount(vat),
                             "total_tax_set": _money_set(vat, currency), "line_item": orig})
            target.setdefault("refunds", []).append({
                "id": oid, "order_id": target["id"], "created_at": when, "processed_at": when,
                "refund_line_items": rlis, "order_adjustments": adjustments, "transactions": []})
            for p in sim.payments:
                state.tender_transactions.append({
                    "id": next_tt, "order_id": target["id"], "amount": _amount(-abs(p.amount_cents)),
                    "currency": currency, "processed_at": when, "payment_method": p.method,
                    "remote_reference": None, "payment_details": None, "user_id": None, "test": False})
                next_tt += 1
            continue
        line_items, shipping_lines = [], []
        for li in sim.lines:
            qty = int(li.quantity)
            gross = li.unit_gross_cents * qty - li.discount_gross_cents
            vat = vat_of_gross(gross, li.vat_rate)
            if _is_shipping(li):
                shipping_lines.append(_shipping_line(li, gross, vat, currency))
                continue
            pid = _numeric_id(li.product_id, 3)
            products.setdefault(str(pid), {"id": pid, "title": li.name, "product_type": li.category or ""})
            line_items.append({
                "id": _numeric_id(li.line_id, 2), "product_id": pid, "sku": li.sku, "title": li.name,
                "name": li.name, "quantity": qty, "price": _amount(li.unit_gross_cents),
                "price_set": _money_set(li.unit_gross_cents, currency),
                "gift_card": getattr(li, "kind", "item") == "gift_card", "taxable": True,
                "discount_allocations": ([{"amount": _amount(li.discount_gross_cents),
                                           "amount_set": _money_set(li.discount_gross_cents, currency),
                                           "discount_application_index": 0}]
                                         if li.discount_gross_cents else []),
                "tax_lines": _tax_lines(li.vat_rate, vat, currency),
            })
        tip = sum(p.tip_cents for p in sim.payments)
        order = {
            "id": oid, "name": f"#{oid}", "created_at": when, "processed_at": when, "closed_at": when,
            "cancelled_at": None, "currency": currency, "taxes_included": True, "test": False,
            "financial_status": "paid", "location_id": None, "source_name": "web",
            "total_tip_received": _amount(tip), "line_items": line_items, "shipping_lines": shipping_lines,
            "shipping_address": {"country_code": getattr(sim, "country", None) or "FR"}, "refunds": [],
            **_order_taxes(line_items, shipping_lines, currency, order_level_only=order_level_tax),
        }
        state.orders.append(order)
        by_id[str(oid)] = order
        for p in sim.payments:
            state.tender_transactions.append({
                "id": next_tt, "order_id": oid, "amount": _amount(p.amount_cents), "currency": currency,
                "processed_at": when, "payment_method": p.method, "remote_reference": None,
                "payment_details": None, "user_id": None, "test": False})
            next_tt += 1
    state.products = list(products.values())
    return state


def void_order(order: dict, at: str) -> dict:
    """Cancel an order whose payment was only authorised, as Shopify does: the authorisation is
    voided (``financial_status: voided``), ``cancelled_at`` / ``cancel_reason`` are set and
    ``updated_at`` moves; no money moved, so no tender transaction exists for it."""
    order.update({"financial_status": "voided", "cancelled_at": at, "cancel_reason": "customer", "updated_at": at})
    return order
