"""Emulator of the Hiboutik API v2 (``https://{account}.hiboutik.com/api``), the sales-reading part.

Served (paths and shapes as used by the vendor's PHP client ``hiboutik/hiboutikapi`` and by public
connectors; see ``docs/sources/hiboutik.md``):

- ``GET /api/closed_sales/{store_id}/{YYYY}/{MM}/{DD}`` — summaries of the sales completed that day
  (local time), ``?p=N`` paging with a ``Link`` header (``rel="start"|"prev"|"current"|"next"|"last"``);
- ``GET /api/sales/{sale_id}`` — a one-element list with the detailed sale;
- ``GET /api/open_sales/{store_id}`` — sales not closed yet (same paging);
- ``GET /api/categories`` — ``category_id, category_name, category_id_parent…``.

Auth: HTTP basic (user, API key); errors have the vendor's body ``{"error", "code",
"error_description"}``. Rate limits are not documented: the emulator answers 429 with ``Retry-After``
when told to (:meth:`HiboutikState.throttle_next`). Money is decimal strings with two decimals,
``tax_value`` a percent number (20, 5.5) and ``vat`` a fraction string ("0.200").
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import SimDay
from emulators.throttling import Throttled

SUMMARY_FIELDS = ("sale_id", "created_at", "completed_at", "store_id", "vendor_id", "unique_sale_id",
                  "customer_id", "currency", "total", "payment")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _rate_number(rate: str) -> int | float:
    d = Decimal(rate)
    return int(d) if d == d.to_integral_value() else float(d)


@dataclass
class HiboutikState(Throttled):
    user: str = "api@boutique.fr"
    api_key: str = "HB-KEY"
    page_size: int = 250
    sales: dict[int, dict] = field(default_factory=dict)  # sale_id -> detailed sale
    categories: dict[int, str] = field(default_factory=dict)
    retry_after: str = "1"
    requests: list[str] = field(default_factory=list)

    def add_sale(self, sale: dict) -> None:
        """Store a vendor-shaped detailed sale (``completed_at`` "0000-00-00 00:00:00" = still open)."""
        self.sales[int(sale["sale_id"])] = sale


def load_simday(state: HiboutikState, simday: SimDay, *, store_ids: dict[str, int] | None = None,
                first_sale_id: int = 1001) -> dict[str, str]:
    """Render ``simday`` as Hiboutik sales; returns {sim order id → sale_id} (and line/payment ids)."""
    tz = ZoneInfo(simday.timezone)
    store_ids = store_ids or {loc.id: i for i, loc in enumerate(simday.locations, start=1)}
    cat_ids = {name: i for i, name in enumerate(sorted(simday.categories), start=1)}
    state.categories.update({i: name for name, i in cat_ids.items()})
    products: dict[str, int] = {}
    ids: dict[str, str] = {}
    by_sku: dict[tuple[str, str], int] = {}  # (sim order id, sku) -> line_item_id, for returns
    next_line = first_sale_id * 10
    for k, order in enumerate(simday.orders):
        sale_id = first_sale_id + k
        ids[order.order_id] = str(sale_id)
        local = order.closed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        items = []
        for line in order.lines:
            next_line += 1
            by_sku[(order.order_id, line.sku)] = next_line
            ids[line.line_id] = str(next_line)
            pid = products.setdefault(line.sku, 100 + len(products))
            ids[line.product_id] = str(pid)
            returned = 0
            if order.is_refund:
                returned = by_sku.get((order.refund_of or "", line.sku), 1)
            unit = Decimal(line.unit_gross_cents) / 100
            items.append({
                "line_item_id": next_line, "product_id": pid, "product_size": 0,
                "quantity": int(line.quantity) if line.quantity == int(line.quantity) else str(line.quantity),
                "product_price": f"{unit:.2f}", "product_currency": simday.currency,
                "vat": f"{Decimal(line.vat_rate) / 100:.3f}", "discount": money(line.discount_gross_cents),
                "credit_note": 0, "line_item_id_return": returned,
                "item_discount_gross": money(line.discount_gross_cents),
                "item_total_net": money(line.net_cents), "item_total_gross": money(line.gross_cents),
                "item_total_tax": money(line.vat_cents), "tax_label": f"TVA {line.vat_rate}%",
                "tax_value": _rate_number(line.vat_rate), "product_model": line.name,
                "product_barcode": "", "product_category": cat_ids[line.category],
                "products_ref_ext": line.sku,
            })
        total = order.gross_cents
        sale = {
            "sale_id": sale_id, "created_at": local, "completed_at": local,
            "store_id": store_ids[order.location_id], "vendor_id": 1, "unique_sale_id": f"T{sale_id}",
            "customer_id": 0, "currency": simday.currency, "total": money(total),
            "payment": order.payments[0].method if len(order.payments) == 1 else "DIV",
            "service_charge": "0.00", "date_z": 0, "line_items": items,
            "sale_total_net": money(sum(line.net_cents for line in order.lines)),
            "sale_total_tax": money(order.vat_cents), "sale_total_gross": money(total),
        }
        if not order.payments:
            sale["payment"] = "ESP"
        if len(order.payments) > 1:
            sale["payment_details"] = [
                {"payment_detail_id": 5000 + sale_id * 10 + n, "payment_type": p.method,
                 "payment_amount": money(p.amount_cents)} for n, p in enumerate(order.payments)]
            for n, p in enumerate(order.payments):
                ids[p.payment_id] = str(5000 + sale_id * 10 + n)
        else:
            for p in order.payments:
                ids[p.payment_id] = str(sale_id)
        state.add_sale(sale)
    return ids


def _auth_ok(request: Request, state: HiboutikState) -> bool:
    expected = base64.b64encode(f"{state.user}:{state.api_key}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "code": status, "error_description": description}, status_code=status)


def create_app(state: HiboutikState) -> Starlette:
    def paged(request: Request, rows: list[dict]) -> JSONResponse:
        try:
            page = max(1, int(request.query_params.get("p", "1")))
        except ValueError:
            return _error(400, "invalid_parameter", "p must be a page number")
        size = state.page_size
        last = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size: page * size]
        base = str(request.url.remove_query_params("p"))
        sep = "&" if "?" in base else "?"
        links = [f'<{base}{sep}p=1>; rel="start"']
        if page > 1:
            links.append(f'<{base}{sep}p={page - 1}>; rel="prev"')
        links.append(f'<{base}{sep}p={page}>; rel="current"')
        if page < last:
            links.append(f'<{base}{sep}p={page + 1}>; rel="next"')
        links.append(f'<{base}{sep}p={last}>; rel="last"')
        return JSONResponse(chunk, headers={"Link": ", ".join(links)})

    def guard(request: Request) -> JSONResponse | None:
        state.requests.append(f"GET {request.url.path}" + (f"?{request.url.query}" if request.url.query else ""))
        if state._take_throttle():
            return JSONResponse({"error": "too_many_requests", "code": 429,
                                 "error_description": "Too many requests"}, status_code=429,
                                headers={"Retry-After": state.retry_after})
        if not _auth_ok(request, state):
            return _error(401, "unauthorized", "Invalid user or API key")
        return None

    async def closed_sales(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        p = request.path_params
        try:
            day = date(int(p["y"]), int(p["m"]), int(p["d"]))
        except ValueError:
            return _error(400, "invalid_date", "Invalid date")
        store = int(p["store"])
        rows = [{k: s.get(k) for k in SUMMARY_FIELDS} for _, s in sorted(state.sales.items())
                if s["store_id"] == store and s["completed_at"][:10] == day.isoformat()]
        return paged(request, rows)

    async def open_sales(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        store = int(request.path_params["store"])
        rows = [{k: s.get(k) for k in SUMMARY_FIELDS} for _, s in sorted(state.sales.items(), reverse=True)
                if s["store_id"] == store and s["completed_at"].startswith("0000")]
        return paged(request, rows)

    async def sale(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        found = state.sales.get(int(request.path_params["sale_id"]))
        if found is None:
            return _error(404, "not_found", "Sale not found")
        return JSONResponse([found])

    async def categories(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        rows = [{"category_id": i, "category_name": name, "category_id_parent": 0, "category_enabled": 1,
                 "category_position": i} for i, name in sorted(state.categories.items())]
        return paged(request, rows)

    return Starlette(routes=[
        Route("/api/closed_sales/{store:int}/{y}/{m}/{d}", closed_sales, methods=["GET"]),
        Route("/api/open_sales/{store:int}", open_sales, methods=["GET"]),
        Route("/api/sales/{sale_id:int}", sale, methods=["GET"]),
        Route("/api/categories", categories, methods=["GET"]),
        Route("/api/categories/", categories, methods=["GET"]),
    ])
