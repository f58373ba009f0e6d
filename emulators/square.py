"""Square Connect API v2 emulator (the endpoints the Square source reads).

Serves the real paths and shapes of ``specs/square-connect-api.json``:

- ``GET  /v2/locations``                 ListLocations
- ``POST /v2/orders/search``             SearchOrders: ``location_ids`` (1..10), ``query.filter``
  (``state_filter``, ``date_time_filter`` on one of created_at/updated_at/closed_at, inclusive
  range), ``query.sort`` (its field MUST equal the date filter's, as Square enforces), ``limit``
  (≤ 1000, default 500) and ``cursor`` (valid only with the original query)
- ``POST /v2/orders/batch-retrieve``     BatchRetrieveOrders (≤ 100 ids)
- ``GET  /v2/refunds``                   ListPaymentRefunds: ``begin_time``/``end_time`` on
  ``created_at``, ``location_id``, ``status``, ``sort_order``, ``limit`` (≤ 100), ``cursor``

Errors use Square's body ``{"errors": [{"category", "code", "detail", "field"}]}``: 401
``AUTHENTICATION_ERROR``/``UNAUTHORIZED``, 400 ``INVALID_REQUEST_ERROR`` (``BAD_REQUEST``,
``INVALID_CURSOR``, ``VALUE_TOO_HIGH``, ``INVALID_TIME``, ...), 429 ``RATE_LIMIT_ERROR``/
``RATE_LIMITED``. Square documents no rate-limit headers, so a 429 carries none.

State is seeded with vendor-shaped objects: :func:`build_order` / :func:`build_refund` turn a
simple description of a sale (prices incl. VAT, as in France) into Square's exact Order and
PaymentRefund shapes, and :func:`seed_from_simday` adapts the vendor-neutral generator's day.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Square rounds the VAT of INCLUSIVE taxes half away from zero, as the generator does.
from emulators.generator import vat_of_gross

DEFAULT_TOKEN = "EAAAl-square-emulator-token"


def _money(amount: int, currency: str) -> dict:
    return {"amount": int(amount), "currency": currency}


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _rate_text(rate: str) -> str:
    d = Decimal(str(rate))
    return format(d.quantize(Decimal("0.1")) if d == d.to_integral_value() else d, "f")


def build_order(
    order_id: str,
    location_id: str,
    closed_at: datetime,
    lines: list[dict],
    tenders: list[dict],
    *,
    service_charges: list[dict] | None = None,
    currency: str = "EUR",
    state: str = "COMPLETED",
) -> dict:
    """A Square ``Order`` with INCLUSIVE VAT taxes, as a French Square POS produces it.

    ``lines``: ``{"uid", "name", "quantity" (str), "unit_gross" (cents incl. VAT), "vat" ("20"),
    "discount" (cents incl. VAT, optional), "catalog_object_id" (optional), "item_type",
    "gross_sales" (cents, optional)}``. A line's ``gross_sales_money`` is ``quantity × unit_gross``
    rounded half to even, unless ``gross_sales`` gives the price the till charged for it: a weighed
    item (0.250 kg × 6.90 € = 1.725 €) is charged what the scale priced, which may round the
    half cent the other way.
    ``tenders``: ``{"id", "type", "amount" (cents excl. tip), "tip" (optional)}``.
    ``service_charges``: ``{"uid", "name", "amount" (cents incl. VAT), "vat"}``.
    """
    taxes: dict[str, dict] = {}
    discounts: list[dict] = []

    def tax_uid(rate: str) -> str:
        uid = f"tva-{_rate_text(rate).replace('.', '-')}"
        if uid not in taxes:
            taxes[uid] = {"uid": uid, "name": f"TVA {_rate_text(rate)}%", "percentage": _rate_text(rate),
                          "type": "INCLUSIVE", "scope": "LINE_ITEM", "applied_money": _money(0, currency)}
        return uid

    line_items = []
    for i, line in enumerate(lines):
        uid = line.get("uid") or f"li-{i + 1}"
        qty = Decimal(str(line["quantity"]))
        gross_sales = line.get("gross_sales")
        if gross_sales is None:
            gross_sales = int((qty * line["unit_gross"]).to_integral_value())
        elif abs(Decimal(gross_sales) - qty * line["unit_gross"]) >= 1:
            raise ValueError(f"line {uid}: gross_sales {gross_sales} is not {line['quantity']} × "
                             f"{line['unit_gross']} to the cent")
        discount = int(line.get("discount", 0))
        total = gross_sales - discount
        vat = vat_of_gross(total, str(line["vat"]))
        t_uid = tax_uid(str(line["vat"]))
        taxes[t_uid]["applied_money"]["amount"] += vat
        item: dict[str, Any] = {
            "uid": uid, "name": line.get("name", uid), "quantity": str(line["quantity"]),
            "item_type": line.get("item_type", "ITEM"),
            "base_price_money": _money(line["unit_gross"], currency),
            "variation_total_price_money": _money(gross_sales, currency),
            "gross_sales_money": _money(gross_sales, currency),
            "total_tax_money": _money(vat, currency),
            "total_discount_money": _money(discount, currency),
            "total_money": _money(total, currency),
            "applied_taxes": [{"uid": f"{uid}-tax", "tax_uid": t_uid, "applied_money": _money(vat, currency)}],
        }
        if line.get("catalog_object_id"):
            item["catalog_object_id"] = line["catalog_object_id"]
        if discount:
            d_uid = f"{uid}-disc"
            discounts.append({"uid": d_uid, "name": line.get("discount_name", "Remise"), "type": "FIXED_AMOUNT",
                              "amount_money": _money(discount, currency),
                              "applied_money": _money(discount, currency), "scope": "LINE_ITEM"})
            item["applied_discounts"] = [{"uid": f"{uid}-ad", "discount_uid": d_uid,
                                          "applied_money": _money(discount, currency)}]
        line_items.append(item)
    charges = []
    for i, sc in enumerate(service_charges or []):
        vat = vat_of_gross(sc["amount"], str(sc["vat"]))
        t_uid = tax_uid(str(sc["vat"]))
        taxes[t_uid]["applied_money"]["amount"] += vat
        uid = sc.get("uid") or f"sc-{i + 1}"
        charges.append({
            "uid": uid, "name": sc.get("name", "Service"), "amount_money": _money(sc["amount"], currency),
            "applied_money": _money(sc["amount"], currency), "total_money": _money(sc["amount"], currency),
            "total_tax_money": _money(vat, currency), "calculation_phase": "SUBTOTAL_PHASE", "taxable": True,
            "type": "CUSTOM", "treatment_type": "LINE_ITEM_TREATMENT", "scope": "ORDER",
            "applied_taxes": [{"uid": f"{uid}-tax", "tax_uid": t_uid, "applied_money": _money(vat, currency)}],
        })
    ts = _rfc3339(closed_at)
    tender_objs = []
    for t in tenders:
        tip = int(t.get("tip", 0))
        obj: dict[str, Any] = {
            "id": t["id"], "location_id": location_id, "transaction_id": order_id, "created_at": ts,
            "type": t["type"], "amount_money": _money(t["amount"] + tip, currency), "payment_id": t["id"],
        }
        if tip:
            obj["tip_money"] = _money(tip, currency)
        if t["type"] == "CARD":
            obj["card_details"] = {"status": "CAPTURED", "card": {"card_brand": "VISA", "last_4": "1111"},
                                   "entry_method": "CONTACTLESS"}
        if t["type"] == "CASH":
            obj["cash_details"] = {"buyer_tendered_money": _money(t["amount"] + tip, currency),
                                   "change_back_money": _money(0, currency)}
        tender_objs.append(obj)
    total_tax = sum(tx["applied_money"]["amount"] for tx in taxes.values())
    total_discount = sum(int(line.get("discount", 0)) for line in lines)
    total_sc = sum(int(sc["amount"]) for sc in service_charges or [])
    total_tip = sum(int(t.get("tip", 0)) for t in tenders)
    total = sum(li["total_money"]["amount"] for li in line_items) + total_sc + total_tip
    amounts = {"total_money": _money(total, currency), "tax_money": _money(total_tax, currency),
               "discount_money": _money(total_discount, currency), "tip_money": _money(total_tip, currency),
               "service_charge_money": _money(total_sc, currency)}
    order: dict[str, Any] = {
        "id": order_id, "location_id": location_id, "source": {"name": "Square Point of Sale"},
        "line_items": line_items, "taxes": list(taxes.values()), "discounts": discounts,
        "service_charges": charges, "tenders": tender_objs, "net_amounts": amounts,
        "created_at": ts, "updated_at": ts, "closed_at": ts, "state": state, "version": 4,
        "total_money": _money(total, currency), "total_tax_money": _money(total_tax, currency),
        "total_discount_money": _money(total_discount, currency), "total_tip_money": _money(total_tip, currency),
        "total_service_charge_money": _money(total_sc, currency),
    }
    if not charges:
        del order["service_charges"]
    if not discounts:
        del order["discounts"]
    return order


def build_refund(refund_id: str, order: dict, amount: int, created_at: datetime, *,
                 status: str = "COMPLETED", tender_index: int = 0, reason: str = "Returned goods") -> dict:
    """A ``PaymentRefund`` of ``amount`` cents against one tender of ``order``."""
    tender = order["tenders"][tender_index]
    currency = tender["amount_money"]["currency"]
    ts = _rfc3339(created_at)
    return {
        "id": refund_id, "status": status, "location_id": order["location_id"],
        "amount_money": _money(amount, currency), "payment_id": tender["id"], "order_id": order["id"],
        "reason": reason, "created_at": ts, "updated_at": ts,
        "destination_type": tender["type"] if tender["type"] in ("CARD", "CASH") else "EXTERNAL",
    }


@dataclass
class SquareState:
    """Everything the emulated seller holds, plus knobs and a log for tests."""

    locations: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)
    token: str = DEFAULT_TOKEN
    page_size_cap: int | None = None  # serve fewer than `limit` per page (Square may)
    rate_limit_every: int | None = None  # every Nth request gets a 429
    fail_next: int = 0  # the next N requests get a 429
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_location(self, location_id: str, name: str, timezone: str, *, country: str = "FR",
                     currency: str = "EUR", status: str = "ACTIVE") -> dict:
        loc = {"id": location_id, "name": name, "timezone": timezone, "status": status, "country": country,
               "currency": currency, "business_name": name, "type": "PHYSICAL", "merchant_id": "MERCHANT1",
               "created_at": "2024-01-02T08:00:00Z", "capabilities": ["CREDIT_CARD_PROCESSING"]}
        self.locations.append(loc)
        return loc


def _error(status: int, category: str, code: str, detail: str, field_name: str | None = None) -> JSONResponse:
    err = {"category": category, "code": code, "detail": detail}
    if field_name:
        err["field"] = field_name
    return JSONResponse({"errors": [err]}, status_code=status)


def _bad(code: str, detail: str, field_name: str | None = None) -> JSONResponse:
    return _error(400, "INVALID_REQUEST_ERROR", code, detail, field_name)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _cursor(fingerprint: str, offset: int) -> str:
    raw = json.dumps({"q": fingerprint, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, fingerprint: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if data.get("q") != fingerprint:
        return None
    return int(data["o"])


def create_app(state: SquareState) -> Starlette:
    """The Starlette app serving ``state``."""

    def gate(request: Request, body: dict | None = None) -> JSONResponse | None:
        with state.lock:
            state.requests.append({"method": request.method, "path": request.url.path,
                                   "query": dict(request.query_params), "body": body,
                                   "square_version": request.headers.get("square-version")})
            n = len(state.requests)
            throttled = state.fail_next > 0 or (state.rate_limit_every and n % state.rate_limit_every == 0)
            if state.fail_next > 0:
                state.fail_next -= 1
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return _error(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED",
                          "This request could not be authorized.")
        version = request.headers.get("square-version")
        if version is not None and (_parse_time(version + "T00:00:00Z") is None):
            return _bad("INVALID_SQUARE_VERSION_FORMAT", f"Invalid Square-Version format: {version!r}")
        if throttled:
            return _error(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limit exceeded.")
        return None

    async def list_locations(request: Request) -> JSONResponse:
        if (denied := gate(request)) is not None:
            return denied
        return JSONResponse({"locations": sorted(state.locations, key=lambda loc: loc.get("name", ""))})

    async def search_orders(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if (denied := gate(request, body)) is not None:
            return denied
        if not isinstance(body, dict):
            return _bad("EXPECTED_JSON_BODY", "The body of the request is not valid JSON.")
        location_ids = body.get("location_ids") or []
        if not location_ids:
            return _bad("MISSING_REQUIRED_PARAMETER", "Must provide at least one location_id.", "location_ids")
        if len(location_ids) > 10:
            return _bad("ARRAY_LENGTH_TOO_LONG", "At most 10 location_ids.", "location_ids")
        known = {loc["id"] for loc in state.locations}
        for lid in location_ids:
            if lid not in known:
                return _error(403, "AUTHENTICATION_ERROR", "FORBIDDEN", f"Location {lid} not accessible.")
        limit = body.get("limit", 500)
        if not isinstance(limit, int) or limit < 1:
            return _bad("INVALID_VALUE", "limit must be a positive integer.", "limit")
        if limit > 1000:
            return _bad("VALUE_TOO_HIGH", "limit must be at most 1000.", "limit")
        query = body.get("query") or {}
        flt = query.get("filter") or {}
        sort = query.get("sort") or {}
        sort_field = sort.get("sort_field", "CREATED_AT")
        sort_order = sort.get("sort_order") or "DESC"
        dt = flt.get("date_time_filter") or {}
        set_fields = [k for k in ("created_at", "updated_at", "closed_at") if dt.get(k)]
        if len(set_fields) > 1:
            return _bad("BAD_REQUEST", "Only one date_time_filter field may be set.", "query.filter")
        start = end = None
        if set_fields:
            fld = set_fields[0]
            if sort_field != fld.upper():
                return _bad("BAD_REQUEST", f"The sort_field must match the date_time_filter field: "
                            f"filter on {fld} requires sort_field {fld.upper()}, got {sort_field}.",
                            "query.sort.sort_field")
            rng = dt[fld]
            start, end = _parse_time(rng.get("start_at")), _parse_time(rng.get("end_at"))
            if (rng.get("start_at") and start is None) or (rng.get("end_at") and end is None):
                return _bad("INVALID_TIME", "start_at/end_at must be RFC 3339 timestamps.",
                            f"query.filter.date_time_filter.{fld}")
        states = set((flt.get("state_filter") or {}).get("states") or [])
        key = sort_field.lower()
        hits = []
        for order in state.orders:
            if order["location_id"] not in location_ids:
                continue
            if states and order.get("state") not in states:
                continue
            moment = _parse_time(order.get(key))
            if set_fields and (moment is None or (start and moment < start) or (end and moment > end)):
                continue
            hits.append(order)
        hits.sort(key=lambda o: (o.get(key) or "", o["id"]), reverse=sort_order == "DESC")
        fingerprint = hashlib.sha256(json.dumps([location_ids, query], sort_keys=True).encode()).hexdigest()
        offset = 0
        if body.get("cursor"):
            offset = _read_cursor(body["cursor"], fingerprint)
            if offset is None:
                return _bad("INVALID_CURSOR", "The cursor is invalid or does not match the original query.",
                            "cursor")
        size = min(limit, state.page_size_cap or limit)
        page = hits[offset:offset + size]
        out: dict[str, Any] = {"orders": page}
        if offset + size < len(hits):
            out["cursor"] = _cursor(fingerprint, offset + size)
        return JSONResponse(out)

    async def batch_retrieve(request: Request) -> JSONResponse:
        body = await request.json()
        if (denied := gate(request, body)) is not None:
            return denied
        ids = body.get("order_ids")
        if not ids:
            return _bad("MISSING_REQUIRED_PARAMETER", "order_ids is required.", "order_ids")
        if len(ids) > 100:
            return _bad("ARRAY_LENGTH_TOO_LONG", "At most 100 order_ids.", "order_ids")
        by_id = {o["id"]: o for o in state.orders}
        return JSONResponse({"orders": [by_id[i] for i in ids if i in by_id]})

    async def list_refunds(request: Request) -> JSONResponse:
        if (denied := gate(request)) is not None:
            return denied
        q = request.query_params
        begin, end = _parse_time(q.get("begin_time")), _parse_time(q.get("end_time"))
        if (q.get("begin_time") and begin is None) or (q.get("end_time") and end is None):
            return _bad("INVALID_TIME", "begin_time/end_time must be RFC 3339 timestamps.")
        sort_order = q.get("sort_order", "DESC")
        if sort_order not in ("ASC", "DESC"):
            return _bad("INVALID_SORT_ORDER", f"Invalid sort_order {sort_order!r}.", "sort_order")
        try:
            limit = min(int(q.get("limit", "100")), 100)
        except ValueError:
            return _bad("EXPECTED_INTEGER", "limit must be an integer.", "limit")
        hits = []
        for refund in state.refunds:
            created = _parse_time(refund["created_at"])
            if (begin and created < begin) or (end and created > end):
                continue
            if q.get("location_id") and refund.get("location_id") != q["location_id"]:
                continue
            if q.get("status") and refund.get("status") != q["status"]:
                continue
            hits.append(refund)
        hits.sort(key=lambda r: (r["created_at"], r["id"]), reverse=sort_order == "DESC")
        fingerprint = hashlib.sha256(json.dumps(
            sorted((k, v) for k, v in q.items() if k not in ("cursor",))).encode()).hexdigest()
        offset = 0
        if q.get("cursor"):
            offset = _read_cursor(q["cursor"], fingerprint)
            if offset is None:
                return _bad("INVALID_CURSOR", "The cursor is invalid for this query.", "cursor")
        size = min(limit, state.page_size_cap or limit)
        out: dict[str, Any] = {"refunds": hits[offset:offset + size]}
        if offset + size < len(hits):
            out["cursor"] = _cursor(fingerprint, offset + size)
        return JSONResponse(out)

    return Starlette(routes=[
        Route("/v2/locations", list_locations, methods=["GET"]),
        Route("/v2/orders/search", search_orders, methods=["POST"]),
        Route("/v2/orders/batch-retrieve", batch_retrieve, methods=["POST"]),
        Route("/v2/refunds", list_refunds, methods=["GET"]),
    ])


def _tender_type(method: str) -> str:
    m = method.lower()
    if "cash" in m or "esp" in m:
        return "CASH"
    if "card" in m or m in ("cb", "carte"):
        return "CARD"
    if "gift" in m:
        return "SQUARE_GIFT_CARD"
    return "OTHER"


def seed_from_simday(state: SquareState, simday: Any, *, currency: str = "EUR") -> None:
    """Add the vendor-neutral generator's day (``emulators.generator.SimDay``) as Square
    orders (sales) and PaymentRefunds (refunds, against the order they refund).

    Duck-typed on the generator's documented fields so this module does not depend on it. Each
    item line is charged the generator's gross (its ``gross_cents`` + discount as
    ``gross_sales``), so a weighed item on half a cent costs what the generator says and the
    order's payments (the generator's) match its total.
    """
    known_locations = {loc["id"] for loc in state.locations}
    by_id = {o["id"]: o for o in state.orders}
    for sim in simday.orders:
        if sim.location_id not in known_locations:
            state.add_location(sim.location_id, sim.location_id, "Europe/Paris")
            known_locations.add(sim.location_id)
        if sim.is_refund:
            original = by_id.get(sim.refund_of)
            if original is None:
                raise ValueError(f"refund {sim.order_id} refunds unknown order {sim.refund_of}")
            amount = -sum(p.amount_cents for p in sim.payments)
            state.refunds.append(build_refund(sim.order_id, original, amount, sim.closed_at))
            continue
        lines = [{"uid": ln.line_id, "name": ln.name, "quantity": str(ln.quantity),
                  "unit_gross": ln.unit_gross_cents, "vat": ln.vat_rate,
                  "discount": ln.discount_gross_cents, "catalog_object_id": ln.product_id,
                  "gross_sales": ln.gross_cents + ln.discount_gross_cents}
                 for ln in sim.lines if ln.kind == "item"]
        charges = [{"uid": ln.line_id, "name": ln.name,
                    "amount": int(ln.unit_gross_cents * Decimal(str(ln.quantity))) - ln.discount_gross_cents,
                    "vat": ln.vat_rate} for ln in sim.lines if ln.kind == "service_charge"]
        tenders = [{"id": p.payment_id, "type": _tender_type(p.method), "amount": p.amount_cents - p.tip_cents,
                    "tip": p.tip_cents} for p in sim.payments]
        order = build_order(sim.order_id, sim.location_id, sim.closed_at, lines, tenders,
                            service_charges=charges, currency=currency)
        state.orders.append(order)
        by_id[order["id"]] = order
