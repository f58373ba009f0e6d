"""Emulator of the Zelty API (``https://api.zelty.fr/{version}``), the closure and order reading part.

Served as in Zelty's OpenAPI "API Reference" (v2.10):

- ``GET /{version}/closures?after=&before=&restaurant_ids=&limit (max 200)&offset=`` →
  ``{"closures": [{id, id_restaurant, created_at, date, turnover, comment, taxes}], "errno": 0}``;
- ``GET /{version}/orders?from=&to= (required)&till_id=&include_cancelled=&expand[]=…&limit
  (default 2500)&offset=`` → ``{"orders": [...], "errno": 0}``; ``items`` / ``transactions`` are
  present only when expanded, ``price`` is an object when expanded and the bare total otherwise;
- Bearer auth: 401 ``{"status", "message"}`` (documented ``ErrorResponse``); bad input: 400
  ``{"errors", "errno", "errmsg"}`` (documented ``RawErrorResponse``).

All money is integer cents; rates are hundredths of a percent (``Tax.rate``: "1000 = 10%").
Rate limits are not documented; the emulator answers 429 with ``Retry-After`` when told to.
Order entries have no quantity, so a generator line of quantity n becomes n entries whose amounts
add up exactly to the line's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import SimDay, SimOrder
from emulators.throttling import Throttled

MAX_CLOSURES_LIMIT = 200


def hundredths(rate: str) -> int:
    """``"20"`` → ``2000``, ``"5.5"`` → ``550`` (Zelty's rate unit)."""
    return int(Decimal(rate) * 100)


def _split(total: int, n: int) -> list[int]:
    """``total`` cents over ``n`` parts that add up exactly (the first parts take the remainder)."""
    sign = -1 if total < 0 else 1
    q, r = divmod(abs(total), n)
    return [sign * (q + (1 if k < r else 0)) for k in range(n)]


@dataclass
class ZeltyState(Throttled):
    api_key: str = "zelty-test-key"
    closures: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)  # fully expanded orders, each with "till_id"
    retry_after: str = "1"
    requests: list[str] = field(default_factory=list)


def order_from_sim(order: SimOrder, *, order_id: int, restaurant_id: int, till_id: int, tz: ZoneInfo) -> dict:
    """A generator order rendered as a Zelty order (items, transactions and price expanded)."""
    items = []
    per_rate: dict[str, list[int]] = {}
    for line in order.lines:
        n = max(1, abs(int(line.quantity)))
        if Decimal(n) != abs(line.quantity) and line.quantity != 0:
            raise ValueError(f"Zelty entries are units: quantity {line.quantity} of {line.line_id} is not whole")
        unit_sign = -1 if line.quantity < 0 else 1
        for g, v in zip(_split(line.gross_cents, n), _split(line.vat_cents, n), strict=True):
            items.append({
                "course": 1, "name": line.name, "type": "dish", "item_id": line.product_id,
                "price": {"base_original_amount_inc_tax": unit_sign * line.unit_gross_cents,
                          "original_amount_inc_tax": unit_sign * line.unit_gross_cents,
                          "discounted_amount_inc_tax": g, "final_amount_inc_tax": g},
                "tax": {"tax_amount": v, "tax_rate": hundredths(line.vat_rate)},
                "modifiers": [],
            })
        acc = per_rate.setdefault(line.vat_rate, [0, 0])
        acc[0] += line.gross_cents
        acc[1] += line.vat_cents
    local = order.closed_at.astimezone(tz)
    return {
        "id": order_id, "uuid": f"0000{order_id}-{restaurant_id}", "remote_id": None, "ref": f"t{order_id % 1000}",
        "id_restaurant": restaurant_id, "till_id": till_id,
        "created_at": (local - timedelta(minutes=45)).isoformat(), "closed_at": local.isoformat(),
        "mode": "eat_in", "source": "pos", "status": "ended", "channel": "Zelty Caisse",
        "price": {
            "final_amount_inc_tax": order.gross_cents,
            "final_amount_exc_tax": order.gross_cents - order.vat_cents,
            "discounts": [{"type": "item", "amount": line.discount_gross_cents, "label": f"Remise {line.name}"}
                          for line in order.lines if line.discount_gross_cents],
            "taxes": [{"rate": hundredths(rate), "name": f"TVA {rate}%", "amount": vat, "inc_tax": gross,
                       "exc_tax": gross - vat} for rate, (gross, vat) in sorted(per_rate.items())],
        },
        "transactions": [{"device_id": 47553, "price": p.amount_cents, "date": local.isoformat(),
                          "id_transaction_method": 1 + sorted({q.method for q in order.payments}).index(p.method),
                          "method": p.method} for p in order.payments],
        "items": items,
        "customer": None,
    }


def load_simday(state: ZeltyState, simday: SimDay, *, restaurant_ids: dict[str, int] | None = None,
                first_order_id: int = 204276000, closure_id: int = 109) -> dict[str, str]:
    """Render ``simday`` (one closure per restaurant); returns {sim id → Zelty id} for orders and payments."""
    tz = ZoneInfo(simday.timezone)
    restaurant_ids = restaurant_ids or {loc.id: 5146 + i for i, loc in enumerate(simday.locations)}
    ids: dict[str, str] = {}
    for k, loc in enumerate(simday.locations):
        till = closure_id + k
        orders = simday.orders_at(loc.id)
        for order in orders:
            oid = first_order_id + len(state.orders)
            ids[order.order_id] = str(oid)
            for n, p in enumerate(order.payments, start=1):
                ids[p.payment_id] = f"{oid}-T{n}"
            state.orders.append(order_from_sim(order, order_id=oid, restaurant_id=restaurant_ids[loc.id],
                                               till_id=till, tz=tz))
        state.closures.append({
            "id": till, "id_restaurant": restaurant_ids[loc.id],
            "created_at": datetime.combine(simday.day + timedelta(days=1), time(1, 30), tz).isoformat(),
            "date": simday.day.isoformat(), "turnover": sum(o.gross_cents for o in orders),
            "comment": None, "taxes": sum(o.vat_cents for o in orders),
        })
    return ids


def _render(order: dict, expand: set[str]) -> dict:
    out = {k: v for k, v in order.items() if k not in ("items", "transactions", "price", "till_id")}
    out["price"] = order["price"] if "price" in expand else order["price"]["final_amount_inc_tax"]
    out["items"] = order["items"] if "items" in expand else None
    out["transactions"] = order["transactions"] if "transactions" in expand else None
    return out


def create_app(state: ZeltyState) -> Starlette:
    def guard(request: Request) -> JSONResponse | None:
        state.requests.append(f"GET {request.url.path}?{request.url.query}")
        if state._take_throttle():
            return JSONResponse({"status": 429, "message": "Too Many Requests"}, status_code=429,
                                headers={"Retry-After": state.retry_after})
        if request.headers.get("authorization") != f"Bearer {state.api_key}":
            return JSONResponse({"status": 401, "message": "Unauthorized"}, status_code=401)
        return None

    def invalid(errors: dict) -> JSONResponse:
        return JSONResponse({"errors": errors, "errno": 2, "errmsg": "Invalid input"}, status_code=400)

    def paging(request: Request, default_limit: int, max_limit: int | None = None) -> tuple[int, int] | JSONResponse:
        try:
            limit = int(request.query_params.get("limit", default_limit))
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            return invalid({"limit": "must be an integer"})
        if max_limit is not None and limit > max_limit:
            return invalid({"limit": f"must be at most {max_limit}"})
        return limit, offset

    async def closures(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        pg = paging(request, 2500, MAX_CLOSURES_LIMIT)
        if isinstance(pg, JSONResponse):
            return pg
        limit, offset = pg
        q = request.query_params
        try:
            after = date.fromisoformat(q["after"]) if "after" in q else None
            before = date.fromisoformat(q["before"]) if "before" in q else None
        except ValueError:
            return invalid({"after": "must be a date (YYYY-MM-DD)"})
        wanted = {r for v in q.getlist("restaurant_ids") for r in v.split(",") if r}
        rows = [c for c in state.closures
                if (after is None or date.fromisoformat(c["date"]) > after)
                and (before is None or date.fromisoformat(c["date"]) < before)
                and (not wanted or str(c["id_restaurant"]) in wanted)]
        return JSONResponse({"closures": rows[offset:offset + limit], "errno": 0})

    async def orders(request: Request) -> JSONResponse:
        if (bad := guard(request)) is not None:
            return bad
        q = request.query_params
        missing = {k: "required" for k in ("from", "to") if k not in q}
        if missing:
            return invalid(missing)
        try:
            start, end = date.fromisoformat(q["from"]), date.fromisoformat(q["to"])
        except ValueError:
            return invalid({"from": "must be a date (YYYY-MM-DD)"})
        pg = paging(request, 2500)
        if isinstance(pg, JSONResponse):
            return pg
        limit, offset = pg
        expand = {e for v in q.getlist("expand[]") + q.getlist("expand") for e in v.split(",") if e}
        till = q.get("till_id")
        rows = [o for o in state.orders
                if (till is None or str(o["till_id"]) == till)
                and start <= date.fromisoformat(o["created_at"][:10]) <= end
                and (o["status"] != "cancelled" or q.get("include_cancelled") == "true")]
        return JSONResponse({"orders": [_render(o, expand) for o in rows[offset:offset + limit]], "errno": 0})

    return Starlette(routes=[
        Route("/{version}/closures", closures, methods=["GET"]),
        Route("/{version}/orders", orders, methods=["GET"]),
    ])
