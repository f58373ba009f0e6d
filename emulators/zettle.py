"""Zettle emulator: the OAuth host's assertion grant and the Purchase API v2.

One app serves both hosts (point ``source.base_url`` and ``source.settings.oauth_base_url`` at it):

- ``POST /token`` (form): ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``,
  ``client_id``, ``assertion`` (the API key) → ``{"access_token", "expires_in": 7200}``;
  a wrong key or client → 400 ``{"error": "invalid_grant", "error_description"}``.
- ``GET /purchases/v2``: ``startDate`` (inclusive) / ``endDate`` (exclusive), UTC, as
  ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:mm``; ``limit`` 1..1000; ``descending`` (default false);
  ``lastPurchaseHash`` → the next page; an exhausted listing returns ``"purchases": []``.
  The response carries ``firstPurchaseHash``, ``lastPurchaseHash`` and ``linkUrls`` (Link-style
  ``rel="next"``), exactly as in the documentation's examples.
- ``GET /purchase/v2/{purchaseUuid}``.
- 401 without a valid bearer token; 429 when throttled (Zettle documents the status but no
  limits nor headers, so none are sent).

Purchases are built with :func:`build_purchase` (sale or refund, Zettle's exact field names and
minor units) or adapted from the vendor-neutral generator with :func:`seed_from_simday`.
"""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import vat_of_gross

ASSERTION_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _stamp(moment: datetime) -> str:
    """Zettle's timestamp format: ``2021-01-13T21:34:22.069+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _moment(stamp: str) -> datetime:
    """A purchase's timestamp back to a datetime (ISO 8601; Python reads the ``+0000`` offset)."""
    return datetime.fromisoformat(stamp)


def _legacy_id(purchase_uuid1: str) -> str:
    """The deprecated short ``purchaseUUID`` (URL-safe base64 of the UUID's bytes)."""
    return base64.urlsafe_b64encode(uuid.UUID(purchase_uuid1).bytes).decode().rstrip("=")


def build_purchase(
    purchase_uuid1: str,
    timestamp: datetime,
    products: list[dict],
    payments: list[dict],
    *,
    number: int = 1,
    purchase_discount: int = 0,
    service_charge: dict | None = None,
    refunds: dict | None = None,
    currency: str = "EUR",
    country: str = "FR",
) -> dict:
    """A Zettle purchase (or, with ``refunds=<original purchase>``, a refund purchase).

    ``products``: ``{"name", "quantity" (str, positive), "unit_price" (cents incl. VAT), "vat"
    (number), "discount" (row discount cents, optional), "type" ("PRODUCT"), "sku"}``.
    ``payments``: ``{"uuid", "type", "amount" (excl. gratuity, positive), "gratuity"}``.
    On a refund every quantity and amount is made negative, as Zettle does.
    """
    sign = -1 if refunds else 1
    bases = []
    for p in products:
        row = int((Decimal(p["quantity"]) * p["unit_price"]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        bases.append(row - int(p.get("discount", 0)))
    total_base = sum(bases)
    shares = [purchase_discount * b // total_base for b in bases] if total_base else [0] * len(bases)
    remainders = sorted(range(len(bases)), key=lambda i: (purchase_discount * bases[i]) % total_base if total_base
                        else 0, reverse=True)
    for i in remainders[: purchase_discount - sum(shares)]:
        shares[i] += 1
    rows, grouped, vat_total, goods = [], {}, 0, 0
    for p, base, share in zip(products, bases, shares, strict=True):
        rate = Decimal(str(p["vat"]))
        gross = base - share
        vat = vat_of_gross(gross, rate)
        row: dict[str, Any] = {
            "quantity": str(sign * Decimal(p["quantity"])), "productUuid": p.get("product_uuid", str(uuid.uuid4())),
            "variantUuid": p.get("variant_uuid", str(uuid.uuid4())), "vatPercentage": float(rate),
            "unitPrice": p["unit_price"], "rowTaxableAmount": sign * (gross - vat), "name": p["name"],
            "description": "", "variantName": p.get("variant_name", ""), "type": p.get("type", "PRODUCT"),
            "libraryProduct": True,
        }
        if p.get("sku"):
            row["sku"] = p["sku"]
        if p.get("discount"):
            row["discount"] = {"amount": int(p["discount"]), "quantity": 1}
            row["discountValue"] = int(p["discount"])
        rows.append(row)
        key = format(rate.quantize(Decimal("0.1")), "f")
        grouped[key] = grouped.get(key, 0) + sign * gross
        vat_total += vat
        goods += gross
    purchase: dict[str, Any] = {}
    if service_charge:
        rate = Decimal(str(service_charge["vat"]))
        purchase["serviceCharge"] = {"amount": service_charge["amount"], "title": service_charge.get("title", ""),
                                     "vatPercentage": float(rate), "quantity": "1"}
        vat_total += vat_of_gross(service_charge["amount"], rate)
        goods += service_charge["amount"]
    pays = []
    for pay in payments:
        tip = int(pay.get("gratuity", 0))
        obj: dict[str, Any] = {"uuid": pay["uuid"], "amount": sign * (pay["amount"] + tip), "type": pay["type"],
                               "attributes": {}}
        if tip:
            obj["gratuityAmount"] = tip
        if pay["type"] == "IZETTLE_CASH":
            obj["attributes"] = {"handedAmount": sign * (pay["amount"] + tip)}
        if refunds:
            original = next((op for op in refunds["payments"] if op["type"] == pay["type"]), refunds["payments"][0])
            obj["references"] = {"refundsPayment": original["uuid"]}
        pays.append(obj)
    stamp = _stamp(timestamp)
    purchase.update({
        "source": "POS", "purchaseUUID": _legacy_id(purchase_uuid1), "purchaseUUID1": purchase_uuid1,
        "amount": sign * goods, "vatAmount": sign * vat_total, "country": country, "currency": currency,
        "timestamp": stamp, "created": stamp, "purchaseNumber": number, "globalPurchaseNumber": number,
        "userDisplayName": "Emulated Cashier", "products": rows,
        "discounts": ([{"amount": purchase_discount, "quantity": 1, "value": purchase_discount}]
                      if purchase_discount else []),
        "payments": pays, "receiptCopyAllowed": True, "refunded": False, "refund": bool(refunds),
        "groupedVatAmounts": grouped,
    })
    if refunds:
        purchase["refundsPurchaseUUID"] = refunds["purchaseUUID"]
        purchase["refundsPurchaseUUID1"] = refunds["purchaseUUID1"]
        refunds["refunded"] = True
        refunds.setdefault("refundedByPurchaseUUIDs1", []).append(purchase_uuid1)
        refunds.setdefault("refundedByPurchaseUUIDs", []).append(purchase["purchaseUUID"])
    return purchase


def purchase_hash(purchase: dict) -> str:
    """Zettle's page reference: epoch milliseconds then the short purchase id (as in the docs)."""
    millis = int(_moment(purchase["timestamp"]).timestamp() * 1000)
    return f"{millis}{purchase['purchaseUUID']}"


@dataclass
class ZettleState:
    client_id: str = "emulated-client-id"
    api_key: str = "emulated-api-key"
    purchases: list[dict] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)  # token -> API calls made with it
    tokens_valid_for: int | None = None  # a token dies after this many API calls (tests refresh)
    rate_limit_every: int | None = None
    fail_next: int = 0
    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(value)


def create_app(state: ZettleState) -> Starlette:
    def log(request: Request, form: dict | None = None) -> bool:
        """Record the request; True when it must be throttled."""
        with state.lock:
            state.requests.append({"method": request.method, "path": request.url.path,
                                   "query": dict(request.query_params), "form": form})
            n = len(state.requests)
            throttled = state.fail_next > 0 or bool(state.rate_limit_every and n % state.rate_limit_every == 0)
            if state.fail_next > 0:
                state.fail_next -= 1
        return throttled

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        with state.lock:
            if token not in state.tokens:
                return False
            if state.tokens_valid_for is not None and state.tokens[token] >= state.tokens_valid_for:
                return False
            state.tokens[token] += 1
        return True

    too_many = JSONResponse({"error": "Too Many Requests"}, status_code=429)
    unauthorized = JSONResponse({"error": "Unauthorized", "error_description": "Invalid or expired token"},
                                status_code=401)

    async def token(request: Request) -> JSONResponse:
        # application/x-www-form-urlencoded, parsed with the standard library (no multipart needed)
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return JSONResponse({"error": "invalid_request",
                                 "error_description": "expected application/x-www-form-urlencoded"}, status_code=400)
        form = dict(parse_qsl((await request.body()).decode()))
        if log(request, {k: v for k, v in form.items() if k != "assertion"}):
            return too_many
        if form.get("grant_type") != ASSERTION_GRANT:
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": f"grant_type {form.get('grant_type')!r} not supported"},
                                status_code=400)
        if form.get("client_id") != state.client_id or form.get("assertion") != state.api_key:
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid assertion or client"},
                                status_code=400)
        access = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[access] = 0
        return JSONResponse({"access_token": access, "expires_in": 7200})

    async def list_purchases(request: Request) -> JSONResponse:
        if log(request):
            return too_many
        if not authorized(request):
            return unauthorized
        q = request.query_params
        try:
            start, end = _parse_date(q.get("startDate")), _parse_date(q.get("endDate"))
        except ValueError as exc:
            return JSONResponse({"error": "Bad Request", "message": f"invalid date {exc}"}, status_code=400)
        try:
            limit = int(q.get("limit", "1000"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            return JSONResponse({"error": "Bad Request", "message": "limit must be 1..1000"}, status_code=400)
        descending = q.get("descending", "false").lower() == "true"
        hits = [p for p in state.purchases
                if (start is None or _moment(p["timestamp"]) >= start)
                and (end is None or _moment(p["timestamp"]) < end)]
        hits.sort(key=purchase_hash, reverse=descending)
        last = q.get("lastPurchaseHash")
        if last:
            hits = [p for p in hits if (purchase_hash(p) < last if descending else purchase_hash(p) > last)]
        page = hits[:limit]
        body: dict[str, Any] = {"purchases": page}
        if page:
            body["firstPurchaseHash"] = purchase_hash(page[0])
            body["lastPurchaseHash"] = purchase_hash(page[-1])
            nxt = {k: v for k, v in q.items() if k != "lastPurchaseHash"} | {"lastPurchaseHash": body["lastPurchaseHash"]}
            body["linkUrls"] = [f"<{request.url.scheme}://{request.url.netloc}/purchases/v2?{urlencode(nxt)}>; "
                                'rel="next"']
        return JSONResponse(body)

    async def get_purchase(request: Request) -> JSONResponse:
        if log(request):
            return too_many
        if not authorized(request):
            return unauthorized
        wanted = request.path_params["purchase_uuid"]
        for p in state.purchases:
            if wanted in (p["purchaseUUID1"], p["purchaseUUID"]):
                return JSONResponse(p)
        return JSONResponse({"error": "Not Found"}, status_code=404)

    return Starlette(routes=[
        Route("/token", token, methods=["POST"]),
        Route("/purchases/v2", list_purchases, methods=["GET"]),
        Route("/purchase/v2/{purchase_uuid}", get_purchase, methods=["GET"]),
    ])


def _payment_type(method: str) -> str:
    m = method.lower()
    if "cash" in m or "esp" in m:
        return "IZETTLE_CASH"
    if "card" in m or m in ("cb", "carte"):
        return "IZETTLE_CARD"
    if "gift" in m:
        return "GIFTCARD"
    return method.upper()


def seed_from_simday(state: ZettleState, simday: Any, *, currency: str = "EUR", country: str = "FR",
                     prior: bool = False) -> None:
    """Add the generator's day (duck-typed ``SimDay``) as Zettle purchases; a refund becomes a
    refund purchase of its original. With ``prior``, a refund of a sale that is not in ``state``
    (the generator refunds previous days' orders) gets that sale added, the day before, with the
    refunded rows."""
    by_id = {p["purchaseUUID1"]: p for p in state.purchases}
    for sim in simday.orders:
        original_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle:{sim.refund_of}"))
        if not (prior and sim.is_refund and original_id not in by_id):
            continue
        if any(o.order_id == sim.refund_of for o in simday.orders):
            continue
        products = [{"name": ln.name, "quantity": str(abs(Decimal(str(ln.quantity)))),
                     "unit_price": abs(ln.unit_gross_cents), "vat": ln.vat_rate,
                     "discount": abs(ln.discount_gross_cents), "sku": ln.sku} for ln in sim.lines]
        payments = [{"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle:prior:{p.payment_id}")),
                     "type": _payment_type(p.method), "amount": abs(p.amount_cents)} for p in sim.payments]
        sale = build_purchase(original_id, sim.closed_at - timedelta(days=1), products, payments,
                              number=len(state.purchases) + 1, currency=currency, country=country)
        state.purchases.append(sale)
        by_id[original_id] = sale
    for n, sim in enumerate(simday.orders, start=len(state.purchases) + 1):
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle:{sim.order_id}"))
        products = [{"name": ln.name, "quantity": str(abs(Decimal(str(ln.quantity)))),
                     "unit_price": abs(ln.unit_gross_cents), "vat": ln.vat_rate,
                     "discount": abs(ln.discount_gross_cents), "sku": ln.sku,
                     "type": "GIFTCARD" if ln.kind == "gift_card" else "PRODUCT"}
                    for ln in sim.lines]
        payments = [{"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle:{p.payment_id}")),
                     "type": _payment_type(p.method), "amount": abs(p.amount_cents) - abs(p.tip_cents),
                     "gratuity": abs(p.tip_cents)} for p in sim.payments]
        original = None
        if sim.is_refund:
            original = by_id.get(str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle:{sim.refund_of}")))
            if original is None:
                raise ValueError(f"refund {sim.order_id} refunds unknown purchase {sim.refund_of}")
        purchase = build_purchase(pid, sim.closed_at, products, payments, number=n, refunds=original,
                                  currency=currency, country=country)
        state.purchases.append(purchase)
        by_id[pid] = purchase
