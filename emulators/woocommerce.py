"""WooCommerce REST API v3 emulator (``/wp-json/wc/v3``), the part a daily sales export reads.

Routes: ``GET /orders`` (``after``/``before``/``modified_after``/``modified_before`` — exclusive,
as WordPress date queries —, ``dates_are_gmt``, ``status``, ``page``, ``per_page`` ≤ 100,
``order``), ``GET /orders/{id}/refunds``, ``GET /taxes/{id}``, ``GET /products`` (``include``).

Behaviour copied from the docs (``vendor-docs/woocommerce-wc-v3-introduction.md``,
``…-authentication.md``): consumer key/secret as HTTP Basic or as ``consumer_key`` /
``consumer_secret`` query parameters, else 401 ``woocommerce_rest_cannot_view``; a wrong key 401
``woocommerce_rest_authentication_error``; paging headers ``X-WP-Total``, ``X-WP-TotalPages`` and
``Link``; errors as ``{"code", "message", "data": {"status"}}``; ``per_page`` over 100 →
400 ``rest_invalid_param``; a page past the end → 400 ``rest_post_invalid_page_number``.

WooCommerce documents no rate limit; hosts (and security plugins) do throttle, so ``force_429``
(1-based request numbers) answers 429 with ``Retry-After`` to exercise the client's retries.
"""

from __future__ import annotations

import base64
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MAX_PER_PAGE = 100


@dataclass
class WooState:
    orders: list[dict] = field(default_factory=list)
    refunds: dict[int, list[dict]] = field(default_factory=dict)  # order id -> refunds
    taxes: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    consumer_key: str = "ck_test"
    consumer_secret: str = "cs_test"
    force_429: set[int] = field(default_factory=set)
    retry_after: str = "1"
    requests: list[tuple[str, dict]] = field(default_factory=list)


def _error(code: str, message: str, status: int, **data: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status, **data}}, status_code=status)


def create_app(state: WooState) -> Starlette:
    counter = {"n": 0}
    lock = threading.Lock()

    def guard(request: Request) -> JSONResponse | None:
        with lock:
            counter["n"] += 1
            n = counter["n"]
        state.requests.append((request.url.path, dict(request.query_params)))
        key = request.query_params.get("consumer_key")
        sec = request.query_params.get("consumer_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                key, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                key = sec = None
        if not key:
            return _error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        if key != state.consumer_key or sec != state.consumer_secret:
            return _error("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
        if n in state.force_429:
            resp = _error("too_many_requests", "Too many requests.", 429)
            resp.headers["Retry-After"] = state.retry_after
            return resp
        return None

    def paged(request: Request, items: list[dict]) -> JSONResponse:
        q = request.query_params
        try:
            per_page = int(q.get("per_page", 10))
            page = int(q.get("page", 1))
        except ValueError:
            return _error("rest_invalid_param", "Invalid parameter(s): page, per_page", 400)
        if not 1 <= per_page <= MAX_PER_PAGE:
            return _error("rest_invalid_param", "Invalid parameter(s): per_page", 400,
                          params={"per_page": f"per_page must be between 1 (inclusive) and {MAX_PER_PAGE} (inclusive)"})
        total = len(items)
        pages = max(1, -(-total // per_page)) if total else 0
        if page > 1 and page > pages:
            return _error("rest_post_invalid_page_number",
                          "The page number requested is larger than the number of pages available.", 400)
        chunk = items[(page - 1) * per_page : page * per_page]
        base = str(request.url).split("?", 1)[0]
        others = "&".join(f"{k}={v}" for k, v in q.items() if k not in ("page", "consumer_key", "consumer_secret"))
        links = []
        if page > 1:
            links.append(f'<{base}?{others}&page={page - 1}>; rel="prev"')
        if page < pages:
            links.append(f'<{base}?{others}&page={page + 1}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return JSONResponse(chunk, headers=headers)

    def when(o: dict, name: str, gmt: bool) -> datetime | None:
        value = o.get(f"{name}_gmt" if gmt else name)
        return datetime.fromisoformat(value) if value else None

    async def orders(request: Request) -> JSONResponse:
        if (err := guard(request)) is not None:
            return err
        q = request.query_params
        gmt = q.get("dates_are_gmt", "false").lower() in ("1", "true")
        statuses = {s for s in q.get("status", "any").split(",") if s}
        out = []
        for o in state.orders:
            if "any" not in statuses and o.get("status") not in statuses:
                continue
            ok = True
            for param, name, cmp in (("after", "date_created", 1), ("before", "date_created", -1),
                                     ("modified_after", "date_modified", 1), ("modified_before", "date_modified", -1)):
                if param in q:
                    bound = datetime.fromisoformat(q[param].replace("Z", "")).replace(tzinfo=None)
                    t = when(o, name, gmt)
                    if t is None or not ((t > bound) if cmp == 1 else (t < bound)):
                        ok = False
            if ok:
                out.append(o)
        out.sort(key=lambda o: (o.get("date_created_gmt") or "", o["id"]), reverse=q.get("order", "desc") == "desc")
        return paged(request, out)

    async def refunds(request: Request) -> JSONResponse:
        if (err := guard(request)) is not None:
            return err
        oid = int(request.path_params["id"])
        if not any(o["id"] == oid for o in state.orders):
            return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        items = sorted(state.refunds.get(oid, []), key=lambda r: r["id"], reverse=True)
        return paged(request, items)

    async def tax(request: Request) -> JSONResponse:
        if (err := guard(request)) is not None:
            return err
        rid = int(request.path_params["id"])
        for t in state.taxes:
            if t["id"] == rid:
                return JSONResponse(t)
        return _error("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)

    async def products(request: Request) -> JSONResponse:
        if (err := guard(request)) is not None:
            return err
        include = {s for s in request.query_params.get("include", "").split(",") if s}
        items = sorted((p for p in state.products if not include or str(p["id"]) in include), key=lambda p: p["id"])
        return paged(request, items)

    return Starlette(routes=[
        Route("/wp-json/wc/v3/orders", orders),
        Route("/wp-json/wc/v3/orders/{id:int}/refunds", refunds),
        Route("/wp-json/wc/v3/taxes/{id:int}", tax),
        Route("/wp-json/wc/v3/products", products),
    ])


# ---------------------------------------------------------------------------------------------
# Seeding from the vendor-neutral generator
# ---------------------------------------------------------------------------------------------


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _split(gross: int, rate: str) -> tuple[int, int]:
    r = Decimal(rate)
    vat = int((Decimal(gross) * r / (100 + r)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if r else 0
    return gross - vat, vat


def state_from_simday(simday: Any, *, timezone: str = "Europe/Paris", state: WooState | None = None) -> WooState:
    """WooCommerce orders, refunds, tax rates and products for a generator ``SimDay``.

    Prices include tax. One tax rate per (country, rate) is created; a sim refund (``is_refund``)
    becomes a refund of its original order dated at its ``closed_at``.
    """
    state = state or WooState()
    tz = ZoneInfo(timezone)
    rate_ids = {(t["country"], percent_key(t["rate"])): t["id"] for t in state.taxes}
    products = {p["id"]: p for p in state.products}
    by_sim: dict[str, dict] = {}
    next_id = 1 + max([o["id"] for o in state.orders] + [10000], default=10000)

    def rate_id(country: str, rate: str) -> int:
        key = (country, rate)
        if key not in rate_ids:
            rid = len(state.taxes) + 1
            state.taxes.append({"id": rid, "country": country, "state": "", "postcode": "", "city": "",
                                "rate": f"{Decimal(rate):.4f}", "name": f"TVA {rate}%", "priority": 1,
                                "compound": False, "shipping": True, "order": rid, "class": "standard"})
            rate_ids[key] = rid
        return rate_ids[key]

    for sim in simday.orders:
        local = sim.closed_at.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")
        gmt = sim.closed_at.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat(timespec="seconds")
        country = getattr(sim, "country", None) or "FR"
        if getattr(sim, "is_refund", False) and sim.refund_of in by_sim:
            target = by_sim[sim.refund_of]
            gross_total = sum(abs(p.amount_cents) for p in sim.payments)
            items = []
            for li in sim.lines:
                g = abs(int(li.unit_gross_cents * abs(li.quantity))) - abs(li.discount_gross_cents)
                net, vat = _split(g, li.vat_rate)
                rid = rate_id(country, li.vat_rate)
                items.append({"id": next_id + len(items) + 1, "name": li.name, "product_id": int(products_key(li)),
                              "variation_id": 0, "quantity": -int(abs(li.quantity)), "tax_class": "",
                              "subtotal": _amount(-net), "subtotal_tax": _amount(-vat), "total": _amount(-net),
                              "total_tax": _amount(-vat),
                              "taxes": [{"id": rid, "total": _amount(-vat), "subtotal": _amount(-vat)}],
                              "meta_data": [], "sku": li.sku, "price": -li.unit_gross_cents / 100})
            state.refunds.setdefault(target["id"], []).append({
                "id": next_id, "date_created": local, "date_created_gmt": gmt, "amount": _amount(gross_total),
                "reason": "", "refunded_by": 1, "refunded_payment": True, "meta_data": [], "line_items": items})
            target["refunds"].append({"id": next_id, "reason": "", "total": _amount(-gross_total)})
            if gmt > target["date_modified_gmt"]:
                target["date_modified_gmt"], target["date_modified"] = gmt, local
            next_id += len(items) + 1
            continue
        line_items = []
        for li in sim.lines:
            pid = int(products_key(li))
            products.setdefault(pid, {"id": pid, "name": li.name, "sku": li.sku,
                                      "categories": [{"id": zlib.crc32(li.category.encode()) % 1000, "name": li.category,
                                                      "slug": li.category.lower()}] if li.category else []})
            sub_gross = int(li.unit_gross_cents * li.quantity)
            tot_gross = sub_gross - li.discount_gross_cents
            sub_net, sub_vat = _split(sub_gross, li.vat_rate)
            net, vat = _split(tot_gross, li.vat_rate)
            rid = rate_id(country, li.vat_rate)
            line_items.append({"id": next_id + len(line_items) + 1, "name": li.name, "product_id": pid,
                               "variation_id": 0, "quantity": int(li.quantity), "tax_class": "",
                               "subtotal": _amount(sub_net), "subtotal_tax": _amount(sub_vat), "total": _amount(net),
                               "total_tax": _amount(vat),
                               "taxes": [{"id": rid, "total": _amount(vat), "subtotal": _amount(sub_vat)}],
                               "meta_data": [], "sku": li.sku, "price": li.unit_gross_cents / 100})
        tip = sum(p.tip_cents for p in sim.payments)
        fees = ([{"id": next_id + 900, "name": "Tip", "tax_class": "", "tax_status": "none", "total": _amount(tip),
                  "total_tax": "0.00", "taxes": [], "meta_data": []}] if tip else [])
        total = sum(p.amount_cents for p in sim.payments)
        order = {
            "id": next_id, "parent_id": 0, "number": str(next_id), "status": "completed", "currency": simday.currency,
            "date_created": local, "date_created_gmt": gmt, "date_modified": local, "date_modified_gmt": gmt,
            "date_paid": local, "date_paid_gmt": gmt, "date_completed": local, "date_completed_gmt": gmt,
            "prices_include_tax": True,
            "total": _amount(total), "total_tax": _amount(sum(int(li["total_tax"].replace(".", "")) for li in line_items)),
            "billing": {"country": country}, "shipping": {"country": country},
            "payment_method": sim.payments[0].method if sim.payments else "", "payment_method_title": "",
            "transaction_id": sim.payments[0].payment_id if sim.payments else "",
            "line_items": line_items, "tax_lines": [], "shipping_lines": [], "fee_lines": fees, "coupon_lines": [],
            "refunds": [],
        }
        state.orders.append(order)
        by_sim[sim.order_id] = order
        next_id += 1000
    state.products = list(products.values())
    return state


def set_status(order: dict, status: str, at: datetime, *, timezone: str = "Europe/Paris") -> dict:
    """Move an order to ``status`` at ``at`` (aware) as WooCommerce does: every change sets
    ``date_modified``; the first move to a paid status (``processing``, ``completed``) sets
    ``date_paid``, ``completed`` sets ``date_completed``; an order cancelled before payment keeps
    ``date_paid: null``. Dates come in pairs: site time without offset, and GMT."""
    local = at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None).isoformat(timespec="seconds")
    gmt = at.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat(timespec="seconds")
    order["status"] = status
    order["date_modified"], order["date_modified_gmt"] = local, gmt
    if status in ("processing", "completed") and not order.get("date_paid_gmt"):
        order["date_paid"], order["date_paid_gmt"] = local, gmt
    if status == "completed":
        order["date_completed"], order["date_completed_gmt"] = local, gmt
    return order


def percent_key(rate: str) -> str:
    d = Decimal(str(rate)).normalize()
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def products_key(line: Any) -> int:
    text = str(line.product_id)
    return int(text) if text.isdigit() else zlib.crc32(text.encode()) % 10**6 + 1
