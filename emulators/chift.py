"""Emulator of the Chift unified API (POS part), following ``specs/chift-api-openapi.json``.

Served paths (the spec's own):

- ``POST /token`` ``{clientId, clientSecret, accountId}`` → ``{access_token, token_type,
  expires_in, expires_on}`` (30 minutes); every other path wants ``Authorization: Bearer``.
- ``GET /consumers/{consumer_id}`` and ``/connections``.
- ``GET /consumers/{consumer_id}/pos/{locations, orders, orders/{id}, payments, payment-methods,
  product-categories, accounting-categories, closures/{date}}``.

Lists are ``ChiftPage`` objects ``{items, total, page, size}`` (``page`` ≥ 1, ``size`` 1–100,
default 50); errors are ``ChiftError`` ``{message, status: "error", ...}``, validation errors the
spec's ``HTTPValidationError``. Money is a JSON number in currency units (``14.5``), tax rates a
number in percent (``5.5``), tips *outside* payment and order totals, as the spec says.

Chift's spec documents no rate limit; the emulator has an optional one (``rate_limit`` requests
per ``rate_window`` seconds → 429 with ``Retry-After``) so that clients prove they absorb one.
``inject_fault`` makes the next matching requests fail (502, 500, 429...) for retry tests.

The state is seeded from generator days (:mod:`emulators.generator`):
``state.add_day(consumer_id, simday, closure_status="closed")``.

Where the spec is silent the emulator chooses, and the client must not depend on the choice:
the ``date_from``/``date_to`` of orders and payments are compared with the order's closing date
in its location's time zone; a refund is an order with negative quantities and totals.
"""

from __future__ import annotations

import argparse
import re
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.frames import normalize_rate
from emulators.generator import SimDay, SimOrder, generate_day

TOKEN_TTL_SECONDS = 1800
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

# Chift normalises payment method names ("Cash", "Card", ...) and keeps the till's name in
# ``extra``; names not listed here are normalised to "Other".
CHIFT_METHOD_NAMES = {
    "espèces": "Cash", "carte bancaire": "Card", "cb": "Card", "american express": "Card",
    "chèque": "Check", "titre-restaurant": "MealVoucher", "ticket resto": "MealVoucher",
    "carte cadeau": "GiftCard", "virement": "Transfer", "paypal": "Online",
}


def money(cents: int) -> float:
    """Cents → the JSON number Chift sends (``1450`` → ``14.5``); exact for any cent amount."""
    return cents / 100


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


@dataclass
class _Consumer:
    consumer_id: str
    name: str
    connection_id: str
    locations: dict[str, dict] = field(default_factory=dict)  # id -> POSLocationItem
    orders: list[dict] = field(default_factory=list)  # POSOrderItem, plus private "_local_date"
    payment_methods: dict[str, dict] = field(default_factory=dict)  # id -> PaymentMethods
    categories: dict[str, dict] = field(default_factory=dict)  # id -> ProductCategoryItem
    closures: dict[tuple[str, str], dict] = field(default_factory=dict)  # (location, date) -> closure


@dataclass
class _Fault:
    path_contains: str
    status: int
    times: int
    body: dict | None
    retry_after: str | None


class ChiftEmulatorState:
    """Everything the emulator knows, plus a log of the requests it received."""

    def __init__(
        self,
        *,
        client_id: str = "chift-demo-client",
        client_secret: str = "chift-demo-secret",
        account_id: str = "6c1f0d9e-7b1a-4d2e-9a51-3f2d8e0c4b11",
        rate_limit: int | None = None,
        rate_window: float = 1.0,
        retry_after_seconds: int = 1,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.retry_after_seconds = retry_after_seconds
        self.consumers: dict[str, _Consumer] = {}
        self.tokens: dict[str, float] = {}  # token -> expires_on (epoch seconds)
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, query)
        self.rate_limited = 0  # how many 429 were sent
        self._faults: list[_Fault] = []
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ seeding

    def add_consumer(self, consumer_id: str, name: str = "Demo consumer") -> _Consumer:
        uuid.UUID(consumer_id)  # the spec says format: uuid
        if consumer_id not in self.consumers:
            self.consumers[consumer_id] = _Consumer(
                consumer_id=consumer_id, name=name,
                connection_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"chift-connection:{consumer_id}")),
            )
        return self.consumers[consumer_id]

    def add_day(self, consumer_id: str, simday: SimDay, closure_status: str = "closed") -> None:
        """Serve ``simday`` for ``consumer_id``: locations, orders, methods, categories, closures."""
        if closure_status not in ("open", "closed"):
            raise ValueError("closure_status must be 'open' or 'closed'")
        consumer = self.add_consumer(consumer_id)
        for loc in simday.locations:
            consumer.locations.setdefault(loc.id, {
                "id": loc.id, "name": loc.name, "timezone": loc.timezone,
                "address": {"city": "Paris", "postal_code": "75011", "country": "FR"},
            })
        for order in simday.orders:
            for p in order.payments:
                self._method(consumer, p.method)
            for line in order.lines:
                self._category(consumer, line.category)
            consumer.orders.append(self._render_order(consumer, simday, order))
        for loc in simday.locations:
            consumer.closures[(loc.id, simday.day.isoformat())] = self._render_closure(
                consumer, simday, loc.id, closure_status)

    def set_closure_status(self, consumer_id: str, day: date, status: str, location_id: str | None = None) -> None:
        for (loc, d), closure in self.consumers[consumer_id].closures.items():
            if d == day.isoformat() and (location_id is None or loc == location_id):
                closure["status"] = status

    def tamper_closure_payment(
        self, consumer_id: str, day: date, location_id: str, method: str, delta_cents: int
    ) -> None:
        """Make a closure's total for ``method`` (till name) differ from its orders (a bad Z)."""
        consumer = self.consumers[consumer_id]
        method_id = self._method(consumer, method)
        closure = consumer.closures[(location_id, day.isoformat())]
        for info in closure["closures"]:
            for p in info["payments"]:
                if p["payment_method_id"] == method_id:
                    p["total"] = money(round(p["total"] * 100) + delta_cents)
                    info["total"] = money(round(info["total"] * 100) + delta_cents)
                    return
        raise KeyError(f"no closure payment for {method!r} at {location_id} on {day}")

    def inject_fault(
        self, path_contains: str, status: int, *, times: int = 1, body: dict | None = None,
        retry_after: str | None = None,
    ) -> None:
        """The next ``times`` requests whose path contains ``path_contains`` answer ``status``."""
        self._faults.append(_Fault(path_contains, status, times, body, retry_after))

    def requests_to(self, path_suffix: str) -> list[tuple[str, str, dict[str, str]]]:
        return [r for r in self.requests if r[1].endswith(path_suffix)]

    # ------------------------------------------------------------------ rendering

    def _method(self, consumer: _Consumer, name: str) -> str:
        method_id = f"pm-{_slug(name)}"
        consumer.payment_methods.setdefault(method_id, {
            "id": method_id, "name": CHIFT_METHOD_NAMES.get(name.lower(), "Other"), "extra": name,
        })
        return method_id

    def _category(self, consumer: _Consumer, name: str) -> str:
        cat_id = f"cat-{_slug(name)}"
        consumer.categories.setdefault(cat_id, {
            "id": cat_id, "name": name, "description": None, "id_parent": None,
        })
        return cat_id

    def _render_order(self, consumer: _Consumer, simday: SimDay, order: SimOrder) -> dict:
        tz = ZoneInfo(consumer.locations[order.location_id]["timezone"] or simday.timezone)
        closed = order.closed_at
        created = closed - timedelta(minutes=45 if simday.profile == "restaurant" else 2)
        items, taxes = [], {}
        delivery_fee = 0
        for line in order.lines:
            gross, vat, rate = line.gross_cents, line.vat_cents, normalize_rate(line.vat_rate)
            net_unit = Decimal(line.unit_gross_cents) / (1 + Decimal(rate) / 100) / 100
            is_shipping = line.kind == "shipping"
            if is_shipping:
                delivery_fee += gross
            item = {
                "id": line.line_id,
                "type": "service" if is_shipping else "product",
                "menu_id": None,
                "quantity": float(line.quantity),
                "unit_price": float(round(net_unit, 4)),
                "total": money(gross),
                "tax_amount": money(vat),
                "tax_rate": float(Decimal(rate)),
                "tax_id": f"tax-{_slug(rate)}",
                "description": line.name,
                "discounts": [],
                "product_id": line.product_id or None,
                "accounting_category_id": self._category(consumer, line.category),
                "modifiers": [],
            }
            if line.discount_gross_cents:
                offered = line.discount_gross_cents == round(line.quantity * line.unit_gross_cents)
                item["discounts"] = [{
                    "name": "Offert" if offered else "Remise 10 %",
                    "total": money(line.discount_gross_cents),
                    "type": "OFFERED" if offered else "UNKNOWN",
                }]
            items.append(item)
            t = taxes.setdefault(rate, [0, 0])
            t[0] += vat
            t[1] += gross
        payments = []
        for p in order.payments:
            payments.append({
                "id": p.payment_id,
                "payment_method_id": self._method(consumer, p.method),
                "payment_method_name": CHIFT_METHOD_NAMES.get(p.method.lower(), "Other"),
                "total": money(p.amount_cents - p.tip_cents),  # tips are not part of the total
                "tip": money(p.tip_cents),
                "status": "Completed",
                "currency": simday.currency,
                "date": closed.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "invoice_ref": None,
                "order_id": order.order_id,
            })
        gross_total = order.gross_cents
        return {
            "id": order.order_id,
            "order_number": order.order_id.rsplit("-", 1)[-1].lstrip("0") or "0",
            "creation_date": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "closing_date": closed.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "service_date": closed.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "device_id": "caisse-1",
            "total": money(gross_total),
            "tax_amount": money(order.vat_cents),
            "total_discount": money(order.discount_cents),
            "total_refund": money(-gross_total) if order.is_refund else 0,
            "total_tip": money(order.tip_cents),
            "delivery_fee": money(delivery_fee),
            "mode": "DELIVERY" if delivery_fee else ("EAT_IN" if simday.profile == "restaurant" else "TAKEAWAY"),
            "source": "WEB" if simday.profile == "ecommerce" else "POS",
            "currency": simday.currency,
            "country": order.country,
            "loyalty": None,
            "customer_id": None,
            "location_id": order.location_id,
            "taxes": [
                {"tax_id": f"tax-{_slug(rate)}", "tax_rate": float(Decimal(rate)), "tax_amount": money(v),
                 "total": money(g)}
                for rate, (v, g) in sorted(taxes.items(), key=lambda kv: Decimal(kv[0]))
            ],
            "guests": 2 if simday.profile == "restaurant" else None,
            "payments": payments,
            "items": items,
            "invoice_id": None,
            "_local_date": closed.astimezone(tz).date().isoformat(),
        }

    def _render_closure(self, consumer: _Consumer, simday: SimDay, location_id: str, status: str) -> dict:
        orders = simday.orders_at(location_id)
        pays: dict[str, list[int]] = {}
        taxes: dict[str, list[int]] = {}
        for o in orders:
            for p in o.payments:
                acc = pays.setdefault(self._method(consumer, p.method), [0, 0])
                acc[0] += p.amount_cents - p.tip_cents
                acc[1] += p.tip_cents
            for line in o.lines:
                acc = taxes.setdefault(normalize_rate(line.vat_rate), [0, 0])
                acc[0] += line.vat_cents
                acc[1] += line.gross_cents
        info = {
            "id": f"Z-{location_id}-{simday.day:%Y%m%d}",
            "total": money(sum(v[0] for v in pays.values())),
            "tax_amount": money(sum(v[0] for v in taxes.values())),
            "payments": [
                {"payment_method_id": mid, "payment_method_name": consumer.payment_methods[mid]["name"],
                 "tip": money(tip), "total": money(total)}
                for mid, (total, tip) in sorted(pays.items())
            ],
            "taxes": [
                {"tax_id": f"tax-{_slug(rate)}", "tax_rate": float(Decimal(rate)), "tax_amount": money(v),
                 "total": money(g)}
                for rate, (v, g) in sorted(taxes.items(), key=lambda kv: Decimal(kv[0]))
            ],
        }
        return {"date": simday.day.isoformat(), "status": status, "closures": [info] if orders else []}

    # ------------------------------------------------------------------ request gates

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.path_contains in path:
                    fault.times -= 1
                    return fault
        return None

    def _over_rate_limit(self) -> bool:
        if self.rate_limit is None:
            return False
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= self.rate_window:
                self._calls.popleft()
            if len(self._calls) >= self.rate_limit:
                self.rate_limited += 1
                return True
            self._calls.append(now)
            return False


# ---------------------------------------------------------------------- HTTP layer


def chift_error(status: int, message: str, *, error_code: str | None = None, headers: dict | None = None):
    body: dict[str, Any] = {"message": message, "status": "error"}
    if error_code:
        body["error_code"] = error_code
    return JSONResponse(body, status_code=status, headers=headers)


def validation_error(loc: list, msg: str, typ: str, value: Any) -> JSONResponse:
    return JSONResponse(
        {"message": "Validation error", "status": "error",
         "detail": [{"loc": loc, "msg": msg, "type": typ, "input": value}]},
        status_code=422,
    )


class _Invalid(Exception):
    def __init__(self, response: Response):
        self.response = response


def _int_param(request: Request, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Invalid(validation_error(["query", name], "Input should be a valid integer", "int_parsing", raw)) from None
    if value < lo or (hi is not None and value > hi):
        bound = f"greater than or equal to {lo}" if value < lo else f"less than or equal to {hi}"
        raise _Invalid(validation_error(["query", name], f"Input should be {bound}", "greater_than_equal"
                                        if value < lo else "less_than_equal", raw))
    return value


def _date_param(request: Request, name: str, required: bool) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        if required:
            raise _Invalid(validation_error(["query", name], "Field required", "missing", None))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _Invalid(validation_error(["query", name], "Input should be a valid date", "date_from_datetime_parsing",
                                        raw)) from None


def _page(request: Request, items: list[dict]) -> JSONResponse:
    page = _int_param(request, "page", 1, 1, None)
    size = _int_param(request, "size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    chunk = items[(page - 1) * size: page * size]
    public = [{k: v for k, v in item.items() if not k.startswith("_")} for item in chunk]
    return JSONResponse({"items": public, "total": len(items), "page": page, "size": size})


def create_app(state: ChiftEmulatorState) -> Starlette:
    """The ASGI app serving ``state`` (use with ``emulators.server.serve``)."""

    async def gate(request: Request, *, auth: bool = True) -> Response | None:
        state.requests.append((request.method, request.url.path, dict(request.query_params)))
        fault = state._take_fault(request.url.path)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            body = fault.body or {"message": "Error while trying to perform your request", "status": "error"}
            return JSONResponse(body, status_code=fault.status, headers=headers)
        if state._over_rate_limit():
            return chift_error(429, "Too many requests", headers={"Retry-After": str(state.retry_after_seconds)})
        if auth:
            header = request.headers.get("authorization", "")
            token = header[7:] if header.lower().startswith("bearer ") else ""
            expires = state.tokens.get(token)
            if not token or expires is None or expires < time.time():
                return chift_error(401, "Invalid or expired token", error_code="ERROR_INVALID_TOKEN")
        return None

    def consumer_of(request: Request) -> _Consumer:
        consumer = state.consumers.get(request.path_params["consumer_id"])
        if consumer is None:
            raise _Invalid(chift_error(404, "The consumer does not exist"))
        return consumer

    def handler(fn, *, auth: bool = True):
        async def endpoint(request: Request) -> Response:
            stop = await gate(request, auth=auth)
            if stop is not None:
                return stop
            try:
                return await fn(request)
            except _Invalid as invalid:
                return invalid.response
        return endpoint

    async def token(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return validation_error(["body"], "JSON decode error", "json_invalid", None)
        for key in ("clientId", "clientSecret", "accountId"):
            if not isinstance(body, dict) or not isinstance(body.get(key), str):
                return validation_error(["body", key], "Field required", "missing", None)
        if (body["clientId"], body["clientSecret"], body["accountId"]) != (
            state.client_id, state.client_secret, state.account_id
        ):
            return chift_error(401, "Unauthorized: invalid client credentials")
        access = secrets.token_urlsafe(24)
        expires_on = int(time.time()) + TOKEN_TTL_SECONDS
        state.tokens[access] = expires_on
        return JSONResponse({"access_token": access, "token_type": "bearer",
                             "expires_in": TOKEN_TTL_SECONDS, "expires_on": expires_on})

    async def get_consumer(request: Request) -> Response:
        c = consumer_of(request)
        return JSONResponse({"consumerid": c.consumer_id, "name": c.name, "email": None,
                             "internal_reference": None, "redirect_url": None})

    async def get_connections(request: Request) -> Response:
        c = consumer_of(request)
        return JSONResponse([{"connectionid": c.connection_id, "name": "Caisse", "integration": "Cashpad",
                              "integrationid": 3001, "api": "Point of Sale", "data": None, "status": "active"}])

    async def locations(request: Request) -> Response:
        return _page(request, list(consumer_of(request).locations.values()))

    def _orders_in(request: Request, c: _Consumer, date_from: date | None, date_to: date | None) -> list[dict]:
        location_id = request.query_params.get("location_id")
        out = []
        for o in c.orders:
            if location_id and o["location_id"] != location_id:
                continue
            d = date.fromisoformat(o["_local_date"])
            if (date_from and d < date_from) or (date_to and d > date_to):
                continue
            out.append(o)
        return out

    async def orders(request: Request) -> Response:
        c = consumer_of(request)
        state_param = request.query_params.get("state", "all")
        if state_param not in ("open", "closed", "all"):
            return validation_error(["query", "state"], "Input should be 'open', 'closed' or 'all'", "enum",
                                    state_param)
        closure_id = request.query_params.get("closure_id")
        if closure_id:
            m = re.fullmatch(r"Z-(.+)-(\d{8})", closure_id)
            if not m:
                return _page(request, [])
            loc, d = m.group(1), datetime.strptime(m.group(2), "%Y%m%d").date()
            found = [o for o in c.orders if o["location_id"] == loc and o["_local_date"] == d.isoformat()]
        else:
            found = _orders_in(request, c, _date_param(request, "date_from", False),
                               _date_param(request, "date_to", False))
        if state_param == "open":
            found = []  # every seeded order is closed (it has a closing date)
        return _page(request, found)

    async def order(request: Request) -> Response:
        c = consumer_of(request)
        for o in c.orders:
            if o["id"] == request.path_params["order_id"]:
                return JSONResponse({k: v for k, v in o.items() if not k.startswith("_")})
        return chift_error(404, "The order could not be found", error_code="ERROR_ORDER_NOT_FOUND")

    async def payments(request: Request) -> Response:
        c = consumer_of(request)
        d_from = _date_param(request, "date_from", True)
        d_to = _date_param(request, "date_to", True)
        found = [p for o in _orders_in(request, c, d_from, d_to) for p in o["payments"]]
        return _page(request, found)

    async def payment_methods(request: Request) -> Response:
        return _page(request, list(consumer_of(request).payment_methods.values()))

    async def product_categories(request: Request) -> Response:
        return _page(request, list(consumer_of(request).categories.values()))

    async def accounting_categories(request: Request) -> Response:
        # The spec: "When not available for a specific POS, it will return the same values as
        # the product categories."
        cats = consumer_of(request).categories.values()
        return _page(request, [{"id": x["id"], "name": x["name"], "code": None, "ledger_account_code": None,
                                "posting_account_code": None} for x in cats])

    async def closure(request: Request) -> Response:
        c = consumer_of(request)
        try:
            day = date.fromisoformat(request.path_params["date"])
        except ValueError:
            return validation_error(["path", "date"], "Input should be a valid date", "date_parsing",
                                    request.path_params["date"])
        location_id = request.query_params.get("location_id")
        found = [v for (loc, d), v in c.closures.items()
                 if d == day.isoformat() and (not location_id or loc == location_id)]
        if not found:
            return JSONResponse({"date": day.isoformat(), "status": "open", "closures": []})
        status = "closed" if all(v["status"] == "closed" for v in found) else "open"
        infos = [i for v in found for i in v["closures"]] if status == "closed" else []
        return JSONResponse({"date": day.isoformat(), "status": status, "closures": infos})

    base = "/consumers/{consumer_id}"
    routes = [
        Route("/token", handler(token, auth=False), methods=["POST"]),
        Route(base, handler(get_consumer)),
        Route(base + "/connections", handler(get_connections)),
        Route(base + "/pos/locations", handler(locations)),
        Route(base + "/pos/orders", handler(orders)),
        Route(base + "/pos/orders/{order_id}", handler(order)),
        Route(base + "/pos/payments", handler(payments)),
        Route(base + "/pos/payment-methods", handler(payment_methods)),
        Route(base + "/pos/product-categories", handler(product_categories)),
        Route(base + "/pos/accounting-categories", handler(accounting_categories)),
        Route(base + "/pos/closures/{date}", handler(closure)),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = state
    return app


def demo_state(
    profile: str, start: date, days: int, *, seed: int, consumer_id: str, locations: int = 1,
    open_last_day: bool = True,
) -> ChiftEmulatorState:
    """A state with ``days`` generated days from ``start``; the last one still open if asked."""
    state = ChiftEmulatorState()
    for i in range(days):
        d = start + timedelta(days=i)
        status = "open" if open_last_day and i == days - 1 else "closed"
        state.add_day(consumer_id, generate_day(profile, d, seed=seed, locations=locations), closure_status=status)
    return state


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Run the Chift POS emulator seeded with generated days.")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--seed-profile", default="restaurant", choices=["restaurant", "shop", "bakery", "ecommerce"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date.today() - timedelta(days=7))
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--locations", type=int, default=1)
    parser.add_argument("--consumer-id", default="0b7e4bb4-6f55-4a51-9d52-5cbd2f3f6a01")
    args = parser.parse_args(argv)
    state = demo_state(args.seed_profile, args.start, args.days, seed=args.seed, consumer_id=args.consumer_id,
                       locations=args.locations)
    print(f"Chift emulator on http://127.0.0.1:{args.port} consumer {args.consumer_id} "
          f"client_id={state.client_id} account_id={state.account_id}")
    uvicorn.run(create_app(state), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
