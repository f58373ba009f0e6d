"""Emulator of the Lightspeed Restaurant K-Series Financial API v2 (the part a sales journal reads).

Served, as documented in the vendor OpenAPI (``financial-api``, api-docs.lsk.lightspeed.app):

- ``GET /f/v2/business-location/{businessLocationId}/sales-daily?date=YYYY-MM-DD&include=…``
  → ``{"sales": [...], "nextStartOfDayAsIso8601": "...", "dataComplete": bool}``; payments are in
  the sales only when ``include`` lists ``payments``. Missing or malformed ``date`` → 400
  ``{"error": "..."}`` (the documented 400 body).
- OAuth2 bearer auth: a wrong or missing token → 401 with the documented ``ErrorResponse`` body
  (``timestamp, path, status, error, requestId``).
- Rate limiting is not documented for K-Series; like the other Lightspeed APIs the emulator answers
  429 with ``Retry-After`` (seconds) when told to (:meth:`LightspeedState.throttle_next`).

State is seeded either from a vendor-neutral :class:`~emulators.generator.SimDay`
(:func:`sales_from_simday`) or from hand-written vendor payloads (:meth:`LightspeedState.put_day`).
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import SimDay, SimOrder
from emulators.throttling import Throttled


def money(cents: int) -> str:
    """Cents → Lightspeed decimal string (``1050`` → ``"10.50"``, ``-220`` → ``"-2.20"``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def multiplier(rate: str) -> str:
    """Percent rate → Lightspeed tax multiplier (``"20"`` → ``"1.2"``, ``"5.5"`` → ``"1.055"``)."""
    m = (Decimal(1) + Decimal(rate) / 100).normalize()
    return format(m, "f")


@dataclass
class _Day:
    sales: list[dict]
    complete: bool
    next_start: str


@dataclass
class LightspeedState(Throttled):
    """What the emulated merchant holds: business days per location, the valid token, throttling."""

    token: str = "lsk-test-token"
    currency: str = "EUR"
    days: dict[tuple[str, str], _Day] = field(default_factory=dict)
    retry_after: str = "1"
    requests: list[str] = field(default_factory=list)  # "GET /path?query" of every request seen

    def put_day(self, location: str | int, day: date, sales: list[dict], *, complete: bool = True,
                day_start: time = time(5, 0), timezone: str = "Europe/Paris") -> None:
        """Store a business day's sales (vendor-shaped dicts, payments included)."""
        nxt = datetime.combine(day + timedelta(days=1), day_start, ZoneInfo(timezone))
        self.days[(str(location), day.isoformat())] = _Day(sales, complete, nxt.isoformat())

    def set_complete(self, location: str | int, day: date, complete: bool) -> None:
        self.days[(str(location), day.isoformat())].complete = complete


# --------------------------------------------------------------------------- seeding from a SimDay


def sale_from_order(order: SimOrder, *, currency: str = "EUR") -> dict:
    """A generator order rendered as a K-Series ``Sale`` (payments included)."""
    closed = order.closed_at.astimezone(UTC)
    lines = []
    for line in order.lines:
        vat, net, gross = line.vat_cents, line.net_cents, line.gross_cents
        lines.append({
            "id": line.line_id,
            "totalNetAmountWithTax": money(gross),
            "totalNetAmountWithoutTax": money(net),
            "menuListPrice": money(line.unit_gross_cents),
            "discountAmount": money(line.discount_gross_cents),
            "totalDiscountAmount": money(line.discount_gross_cents),
            "taxCode": f"VAT{line.vat_rate.replace('.', '')}",
            "taxAmount": money(vat),
            "taxRatePercentage": f"{Decimal(line.vat_rate):.2f}",
            "taxLines": [{"taxId": f"4191029087{line.vat_rate.replace('.', '')}",
                          "taxCode": f"VAT{line.vat_rate.replace('.', '')}",
                          "taxRate": multiplier(line.vat_rate), "taxAmount": money(vat),
                          "taxIncluded": True}],
            "sku": line.sku,
            "name": line.name,
            "quantity": f"{line.quantity:.3f}",
            "accountingGroup": {"accountingGroupId": zlib.crc32(line.category.encode()) + 141948669000000,
                                "name": line.category, "statisticGroup": line.category,
                                "code": line.category[:3].upper()},
            "statisticGroup": line.category,
            "currency": currency,
            "timeOfSale": closed.isoformat().replace("+00:00", "Z"),
        })
    payments = []
    for p in order.payments:
        payments.append({
            "code": p.method.upper().replace(" ", "_")[:12],
            "description": p.method,
            "paymentMethodId": zlib.crc32(p.method.encode()) + 141948669000000,
            "netAmountWithTax": money(p.amount_cents - p.tip_cents),
            "currency": currency,
            "tip": money(p.tip_cents),
            "type": "NORMAL",
            "fiscId": f"T{p.payment_id}",
            "uuid": p.payment_id,
            "fiscDate": closed.isoformat().replace("+00:00", "Z"),
            "surcharge": "0.00",
            "roundingAmount": "0.00",
        })
    sale = {
        "accountReference": str(uuid.uuid5(uuid.NAMESPACE_URL, order.order_id)),
        "accountFiscId": order.order_id,
        "receiptId": f"R{order.order_id}",
        "source": {"initialAccountId": order.refund_of or order.order_id},
        "salesLines": lines,
        "payments": payments,
        "timeOfOpening": (closed - timedelta(minutes=40)).isoformat().replace("+00:00", "Z"),
        "timeClosed": closed.isoformat().replace("+00:00", "Z"),
        "cancelled": False,
        "type": "REFUND" if order.is_refund else "SALE",
        "dineIn": True,
    }
    if order.refund_of:
        sale["source"]["previousAccountId"] = order.refund_of
    return sale


def sales_from_simday(state: LightspeedState, simday: SimDay, location_ids: dict[str, str | int], *,
                      complete: bool = True) -> None:
    """Load ``simday`` into ``state``: sim location ``loc-1`` → business location ``location_ids['loc-1']``."""
    for loc in simday.locations:
        sales = [sale_from_order(o, currency=simday.currency) for o in simday.orders_at(loc.id)]
        state.put_day(location_ids[loc.id], simday.day, sales, complete=complete, timezone=simday.timezone)


# --------------------------------------------------------------------------- the ASGI app


def _error(request: Request, status: int, message: str) -> JSONResponse:
    """The documented ``ErrorResponse`` body (timestamp, path, status, error, requestId)."""
    return JSONResponse({
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "path": request.url.path, "status": status, "error": message,
        "requestId": uuid.uuid4().hex,
    }, status_code=status)


def create_app(state: LightspeedState) -> Starlette:
    async def sales_daily(request: Request) -> JSONResponse:
        state.requests.append(f"GET {request.url.path}?{request.url.query}")
        if state._take_throttle():
            return JSONResponse({"error": "Too Many Requests"}, status_code=429,
                                headers={"Retry-After": state.retry_after})
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return _error(request, 401, "Unauthorized")
        location = request.path_params["location"]
        raw = request.query_params.get("date")
        if not raw:
            return JSONResponse({"error": "Required request parameter 'date' for method parameter type "
                                          "LocalDate is not present"}, status_code=400)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return JSONResponse({"error": f"Invalid date format: {raw}"}, status_code=400)
        include = {p.strip() for p in request.query_params.get("include", "").split(",") if p.strip()}
        if not any(loc == location for loc, _ in state.days):
            return _error(request, 404, f"Business location {location} not found")
        record = state.days.get((location, day.isoformat()))
        if record is None:
            record = _Day([], False, datetime.combine(day + timedelta(days=1), time(5)).isoformat())
        sales = []
        for sale in record.sales:
            s = dict(sale)
            if "payments" not in include:
                s.pop("payments", None)
            sales.append(s)
        return JSONResponse({"sales": sales, "nextStartOfDayAsIso8601": record.next_start,
                             "dataComplete": record.complete})

    return Starlette(routes=[
        Route("/f/v2/business-location/{location}/sales-daily", sales_daily, methods=["GET"]),
    ])
