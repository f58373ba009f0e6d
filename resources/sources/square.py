"""Square (Connect API v2): one business day of a tenant's Square locations.

What is read, and why this way (``reference/source-apis.md`` §3, ``specs/square-connect-api.json``):

- ``GET /v2/locations`` gives each location's IANA ``timezone``: a business day is the
  location's local day, so the UTC window is computed per location (a café in Paris and a
  kiosk in Guadeloupe do not close their day at the same instant).
- ``POST /v2/orders/search`` with ``state_filter`` ``COMPLETED`` and a ``date_time_filter`` on
  ``closed_at``. Square rejects a date filter whose field differs from ``sort.sort_field``, so
  both are ``CLOSED_AT``. Paging re-sends the *original* query with the returned ``cursor``.
  Square's ranges are inclusive; the client also drops orders outside ``[start, end)`` so an
  order closed exactly at midnight lands on one day only.
- ``GET /v2/refunds`` (``begin_time``/``end_time`` on the refund's ``created_at``, per
  location): refunds are booked on the day the money moved, not on the sale's day. Their VAT
  split comes from the order they point at (``POST /v2/orders/batch-retrieve``): the return
  order's ``returns[].return_line_items`` when Square made an itemized return, otherwise the
  sale's own lines, pro rata.
- Money is ``{amount, currency}`` in minor units: integers end to end. A line's gross is its
  ``total_money`` (after discounts, taxes included whether ``ADDITIVE`` or ``INCLUSIVE``), its
  VAT is ``total_tax_money``, its rate the ``percentage`` of the order tax it applies.
- Payments are the order's ``tenders``; the method is the tender ``type`` exactly as Square
  names it (``CARD``, ``CASH``, ...); ``amount_money`` includes ``tip_money``.

Requests carry ``Authorization: Bearer <token>`` and ``Square-Version``. Square does not publish
its rate limits nor rate-limit headers: a 429 is retried with exponential backoff and jitter
(``Retry-After`` is honoured if it is ever sent).

A day is final when its end (in the location's time zone) is ``settle_hours`` in the past
(default 6 h: offline POS orders sync late) and none of its refunds is still ``PENDING``.

Tenant settings (``source.settings``): ``location_ids`` (default: every ACTIVE location),
``square_version`` (default :data:`DEFAULT_SQUARE_VERSION`), ``settle_hours``, ``page_limit``.
Credentials: ``access_token`` (env var name).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from core.errors import MappingError, SourceDataError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame, normalize_rate
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.sources.common import DayContext, allocate, status_error, vat_of_gross
from resources.tenants import TenantConfig, secret

DEFAULT_BASE_URL = "https://connect.squareup.com"
# The version the spec in ../shared/specs/square-connect-api.json documents.
DEFAULT_SQUARE_VERSION = "2025-08-20"
DEFAULT_SETTLE_HOURS = 6.0
SEARCH_LIMIT = 500  # Square default 500, max 1000
REFUNDS_LIMIT = 100  # Square max 100
MAX_LOCATIONS_PER_SEARCH = 10
MAX_ORDERS_PER_BATCH = 100


# --------------------------------------------------------------------------------------------
# Small exact-money helpers
# --------------------------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _stamp(ctx: ParseContext, obj: dict, key: str) -> datetime:
    """An RFC 3339 timestamp of a Square object, or a source error naming the object."""
    try:
        moment = _parse_time(str(obj[key]))
    except (KeyError, ValueError) as exc:
        raise ctx.error(f"{key} {obj.get(key)!r} is not an RFC 3339 timestamp", str(obj.get("id")), key) from exc
    if moment.tzinfo is None:
        raise ctx.error(f"{key} {obj[key]!r} has no UTC offset", str(obj.get("id")), key)
    return moment


# --------------------------------------------------------------------------------------------
# Pure parser: Square payloads -> canonical frames
# --------------------------------------------------------------------------------------------


@dataclass
class ParseContext(DayContext):
    """Who and when (tenant, day, the merchant's currency and country), so every error names the
    tenant, the day, the record and the field."""

    currency: str
    country: str


def _money(ctx: ParseContext, obj: dict | None, record: str, field_name: str, *, required: bool = True) -> int:
    if obj is None:
        if required:
            raise ctx.error("missing money amount", record, field_name)
        return 0
    amount = obj.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ctx.error(f"money amount {amount!r} is not an integer of minor units", record, field_name)
    currency = obj.get("currency")
    if currency is not None and currency != ctx.currency:
        raise ctx.error(f"currency {currency} differs from the tenant's {ctx.currency}", record, field_name)
    return amount


def _tax_rates(ctx: ParseContext, taxes: list[dict] | None, record: str, where: str) -> dict[str, str]:
    rates: dict[str, str] = {}
    for i, tax in enumerate(taxes or []):
        uid = tax.get("uid") or tax.get("source_tax_uid")
        try:
            rates[str(uid)] = normalize_rate(tax.get("percentage"))
        except ValueError as exc:
            raise ctx.error(str(exc), record, f"{where}[{i}].percentage") from exc
    return rates


def _line_rate(ctx: ParseContext, item: dict, rates: dict[str, str], record: str, where: str) -> str:
    """The one VAT rate of a line (France: one VAT per line; a second applied tax is an error)."""
    # a zero applied amount (a free item) still tells the line's rate
    applied = list(item.get("applied_taxes") or [])
    if not applied:
        if (item.get("total_tax_money") or {}).get("amount", 0):
            raise ctx.error("line has tax money but no applied tax", record, f"{where}.applied_taxes")
        return "0"
    uids = {a.get("tax_uid") for a in applied}
    if len(uids) > 1:
        raise ctx.error(f"line has {len(uids)} applied taxes; one VAT rate per line is expected",
                        record, f"{where}.applied_taxes")
    uid = next(iter(uids))
    if uid not in rates:
        raise ctx.error(f"applied tax {uid!r} is not in the order's taxes", record, f"{where}.applied_taxes")
    return rates[uid]


def _quantity(ctx: ParseContext, value: Any, record: str, field_name: str) -> float:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise ctx.error(f"quantity {value!r} is not a number", record, field_name) from exc


def parse_order(ctx: ParseContext, order: dict, *, location: str | None = None) -> tuple[list[dict], list[dict]]:
    """One COMPLETED order → (sales line rows, payment rows).

    Lines and service charges carry their amounts after discounts; the order's ``returns`` are
    not read here (their money is booked from ``/v2/refunds`` on the refund's day).
    """
    oid = str(order.get("id") or "")
    if not oid:
        raise ctx.error("order without id", None, "id")
    loc = location or str(order.get("location_id") or "")
    rates = _tax_rates(ctx, order.get("taxes"), oid, "taxes")
    lines: list[dict] = []
    for i, item in enumerate(order.get("line_items") or []):
        where = f"line_items[{i}]"
        gross = _money(ctx, item.get("total_money"), oid, f"{where}.total_money")
        vat = _money(ctx, item.get("total_tax_money"), oid, f"{where}.total_tax_money", required=False)
        rate = _line_rate(ctx, item, rates, oid, where)
        kind = "gift_card" if item.get("item_type") == "GIFT_CARD" else "item"
        lines.append({
            "order_id": oid, "line_id": str(item.get("uid") or f"{oid}:{i}"), "location": loc, "kind": kind,
            "product_id": str(item.get("catalog_object_id") or ""), "sku": "",
            "category": "", "quantity": _quantity(ctx, item.get("quantity"), oid, f"{where}.quantity"),
            "net_cents": gross - vat, "vat_rate": rate, "vat_cents": vat, "gross_cents": gross,
            "country": ctx.country, "is_refund": False, "currency": ctx.currency,
        })
    for i, charge in enumerate(order.get("service_charges") or []):
        where = f"service_charges[{i}]"
        gross = _money(ctx, charge.get("total_money"), oid, f"{where}.total_money")
        vat = _money(ctx, charge.get("total_tax_money"), oid, f"{where}.total_tax_money", required=False)
        rate = _line_rate(ctx, charge, rates, oid, where)
        lines.append({
            "order_id": oid, "line_id": str(charge.get("uid") or f"{oid}:sc{i}"), "location": loc,
            "kind": "service_charge", "product_id": str(charge.get("catalog_object_id") or ""),
            "sku": "", "category": "", "quantity": 1.0, "net_cents": gross - vat, "vat_rate": rate,
            "vat_cents": vat, "gross_cents": gross, "country": ctx.country, "is_refund": False,
            "currency": ctx.currency,
        })
    payments: list[dict] = []
    for i, tender in enumerate(order.get("tenders") or []):
        where = f"tenders[{i}]"
        if tender.get("type") == "NO_SALE":
            continue
        amount = _money(ctx, tender.get("amount_money"), oid, f"{where}.amount_money")
        tip = _money(ctx, tender.get("tip_money"), oid, f"{where}.tip_money", required=False)
        if tip < 0 or tip > amount:
            raise ctx.error(f"tip {tip} is outside the tender amount {amount}", oid, f"{where}.tip_money")
        payments.append({
            "order_id": oid, "payment_id": str(tender.get("id") or f"{oid}:t{i}"), "location": loc,
            "method": str(tender.get("type") or ""), "amount_cents": amount, "tip_cents": tip,
            "is_refund": False, "currency": ctx.currency,
        })
    sold = sum(r["gross_cents"] for r in lines)
    paid = sum(p["amount_cents"] - p["tip_cents"] for p in payments)
    if sold != paid:
        raise ctx.error(
            f"tenders (excluding tips) total {paid} but lines and service charges total {sold}", oid, "tenders"
        )
    return lines, payments


def _refund_basis(ctx: ParseContext, order: dict, record: str) -> list[tuple[str, int]]:
    """(rate, gross) pairs that a refund against ``order`` is spread over.

    An itemized return order carries ``returns[].return_line_items`` with their own taxes: those
    lines are exactly what was given back. Otherwise the sale's lines and service charges are.
    """
    oid = str(order.get("id") or record)
    basis: list[tuple[str, int]] = []
    for r_i, ret in enumerate(order.get("returns") or []):
        rates = _tax_rates(ctx, ret.get("return_taxes"), oid, f"returns[{r_i}].return_taxes")
        for key in ("return_line_items", "return_service_charges"):
            for i, item in enumerate(ret.get(key) or []):
                where = f"returns[{r_i}].{key}[{i}]"
                gross = _money(ctx, item.get("total_money"), oid, f"{where}.total_money")
                basis.append((_line_rate(ctx, item, rates, oid, where), gross))
    if basis:
        return basis
    rates = _tax_rates(ctx, order.get("taxes"), oid, "taxes")
    for key in ("line_items", "service_charges"):
        for i, item in enumerate(order.get(key) or []):
            where = f"{key}[{i}]"
            gross = _money(ctx, item.get("total_money"), oid, f"{where}.total_money")
            basis.append((_line_rate(ctx, item, rates, oid, where), gross))
    return basis


def parse_refund(ctx: ParseContext, refund: dict, order: dict | None) -> tuple[list[dict], list[dict]]:
    """One COMPLETED ``PaymentRefund`` → negative sales lines (one per VAT rate) and payment.

    The refunded amount is spread over the order's lines by gross amount per VAT rate (largest
    remainder, exact to the cent). A refund larger than the goods of the order (a refunded tip)
    cannot be expressed in the canonical frames and is reported as a source error.
    """
    rid = str(refund.get("id") or "")
    amount = _money(ctx, refund.get("amount_money"), rid, "amount_money")
    if amount <= 0:
        raise ctx.error(f"refund amount {amount} is not positive", rid, "amount_money")
    if order is None:
        raise ctx.error(f"refund points at order {refund.get('order_id')!r}, which Square did not return",
                        rid, "order_id")
    oid = str(order.get("id"))
    # A return order names the sale it returns; book the refund under the sale.
    sale_id = next((r.get("source_order_id") for r in order.get("returns") or [] if r.get("source_order_id")), oid)
    per_rate: dict[str, int] = defaultdict(int)
    for rate, gross in _refund_basis(ctx, order, rid):
        per_rate[rate] += gross
    rates = sorted(per_rate)
    goods = sum(per_rate.values())
    if goods <= 0:
        raise ctx.error(f"order {oid} has no goods to refund against", rid, "order_id")
    if amount > goods:
        raise ctx.error(f"refund {amount} exceeds the order's goods {goods} (refunded tip is not supported)",
                        rid, "amount_money")
    shares = allocate(amount, [per_rate[r] for r in rates])
    loc = str(refund.get("location_id") or order.get("location_id") or "")
    lines = []
    for rate, share in zip(rates, shares, strict=True):
        if share == 0:
            continue
        vat = vat_of_gross(share, rate)
        lines.append({
            "order_id": str(sale_id), "line_id": f"{rid}:{rate}", "location": loc, "kind": "item",
            "product_id": "", "sku": "", "category": "", "quantity": 0.0,
            "net_cents": -(share - vat), "vat_rate": rate, "vat_cents": -vat, "gross_cents": -share,
            "country": ctx.country, "is_refund": True, "currency": ctx.currency,
        })
    payment_id = refund.get("payment_id")
    tender_type = next(
        (t.get("type") for t in order.get("tenders") or [] if payment_id and payment_id in (t.get("id"), t.get("payment_id"))),
        None,
    )
    method = str(tender_type or refund.get("destination_type") or "")
    if not method:
        raise ctx.error("refund has no payment method (no matching tender, no destination_type)",
                        rid, "destination_type")
    payment = {
        "order_id": str(sale_id), "payment_id": rid, "location": loc, "method": method,
        "amount_cents": -amount, "tip_cents": 0, "is_refund": True, "currency": ctx.currency,
    }
    return lines, [payment]


def parse_day(
    ctx: ParseContext,
    orders: list[dict],
    refunds: list[dict],
    refund_orders: dict[str, dict],
) -> SourceDay:
    """Orders closed in the day, refunds created in the day, and the orders those refunds point at."""
    lines: list[dict] = []
    payments: list[dict] = []
    for order in orders:
        ls, ps = parse_order(ctx, order)
        lines += ls
        payments += ps
    for refund in refunds:
        ls, ps = parse_refund(ctx, refund, refund_orders.get(str(refund.get("order_id"))))
        lines += ls
        payments += ps
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        notes=[f"{len(orders)} orders, {len(refunds)} refunds"],
    )


# --------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------


class SquareClient:
    """Thin Square Connect v2 client: auth headers, paging, 429/5xx retries, error mapping."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        version: str = DEFAULT_SQUARE_VERSION,
        policy: RetryPolicy | None = None,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        self.tenant = tenant
        self.policy = policy or RetryPolicy()
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Square-Version": version,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
            event_hooks=event_hooks or {},
        )
        self.requests_sent = 0
        self.retries: list[str] = []

    def close(self) -> None:
        self.http.close()

    def _send(self, request: httpx.Request, what: str) -> dict:
        self.requests_sent += 1
        response = send_with_retries(
            self.http, request, policy=self.policy, what=f"Square {what}",
            on_retry=lambda attempt, why: self.retries.append(f"{what}: {why}"),
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200:
            return body
        errors = body.get("errors") or []
        detail = "; ".join(f"{e.get('code')}: {e.get('detail', '')}" for e in errors) or response.text[:200]
        status = response.status_code
        raise status_error(status, tenant=self.tenant,
                           refused=f"Square {what}: HTTP {status} ({detail}); check the access token and its "
                                   f"scopes (ORDERS_READ, PAYMENTS_READ, MERCHANT_PROFILE_READ)",
                           unavailable=f"Square {what}: HTTP {status} after retries ({detail})",
                           rejected=f"Square {what}: HTTP {status} ({detail})")

    def list_locations(self) -> list[dict]:
        return self._send(self.http.build_request("GET", "/v2/locations"), "ListLocations").get("locations") or []

    def search_orders(self, location_ids: list[str], start: datetime, end: datetime,
                      *, limit: int = SEARCH_LIMIT) -> Iterator[dict]:
        """COMPLETED orders closed in ``[start, end]`` (Square: inclusive), oldest first."""
        query = {
            "filter": {
                "state_filter": {"states": ["COMPLETED"]},
                "date_time_filter": {"closed_at": {"start_at": _rfc3339(start), "end_at": _rfc3339(end)}},
            },
            # Square: sort_field must be the field of the date_time_filter.
            "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
        }
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"location_ids": location_ids, "query": query, "limit": limit}
            if cursor:
                body["cursor"] = cursor
            page = self._send(self.http.build_request("POST", "/v2/orders/search", json=body), "SearchOrders")
            yield from page.get("orders") or []
            cursor = page.get("cursor")
            if not cursor:
                return

    def list_refunds(self, start: datetime, end: datetime, location_id: str,
                     *, limit: int = REFUNDS_LIMIT) -> Iterator[dict]:
        """Refunds created in ``[start, end]`` at one location, oldest first."""
        params = {"begin_time": _rfc3339(start), "end_time": _rfc3339(end), "sort_order": "ASC",
                  "location_id": location_id, "limit": str(limit)}
        cursor: str | None = None
        while True:
            p = dict(params, cursor=cursor) if cursor else params
            page = self._send(self.http.build_request("GET", "/v2/refunds", params=p), "ListPaymentRefunds")
            yield from page.get("refunds") or []
            cursor = page.get("cursor")
            if not cursor:
                return

    def batch_retrieve_orders(self, order_ids: list[str]) -> list[dict]:
        found: list[dict] = []
        for i in range(0, len(order_ids), MAX_ORDERS_PER_BATCH):
            chunk = order_ids[i:i + MAX_ORDERS_PER_BATCH]
            req = self.http.build_request("POST", "/v2/orders/batch-retrieve", json={"order_ids": chunk})
            found += self._send(req, "BatchRetrieveOrders").get("orders") or []
        return found


# --------------------------------------------------------------------------------------------
# The source
# --------------------------------------------------------------------------------------------


@dataclass
class _Window:
    tz: ZoneInfo
    start: datetime  # aware UTC
    end: datetime  # aware UTC, exclusive
    location_ids: list[str] = field(default_factory=list)


class SquareSource:
    """:class:`resources.sources.base.SalesSource` for Square."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: Any = None,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        self.tenant = tenant
        settings = tenant.source.settings
        token_env = tenant.source.credentials.get("access_token")
        if not token_env:
            raise MappingError("source.credentials.access_token (env var name) is required for Square",
                               tenant=tenant.slug)
        self.settle = timedelta(hours=float(settings.get("settle_hours", DEFAULT_SETTLE_HOURS)))
        self.page_limit = int(settings.get("page_limit", SEARCH_LIMIT))
        self.location_ids: list[str] | None = settings.get("location_ids")
        self.clock = clock or (lambda: datetime.now(UTC))
        self.client = SquareClient(
            tenant.source.base_url or DEFAULT_BASE_URL,
            secret(token_env, tenant=tenant.slug, what="Square access token"),
            version=str(settings.get("square_version", DEFAULT_SQUARE_VERSION)),
            policy=policy, tenant=tenant.slug, transport=transport, event_hooks=event_hooks,
        )
        self._locations: list[dict] | None = None

    def close(self) -> None:
        self.client.close()

    def locations(self) -> list[dict]:
        """The tenant's locations (fetched once): the configured ids, else every ACTIVE one."""
        if self._locations is None:
            every = self.client.list_locations()
            if self.location_ids:
                by_id = {loc.get("id"): loc for loc in every}
                missing = [i for i in self.location_ids if i not in by_id]
                if missing:
                    raise MappingError(f"Square location(s) {missing} not found for this access token",
                                       tenant=self.tenant.slug)
                self._locations = [by_id[i] for i in self.location_ids]
            else:
                self._locations = [loc for loc in every if loc.get("status", "ACTIVE") == "ACTIVE"]
        return self._locations

    def _windows(self, period: SalesPeriod) -> list[_Window]:
        """One UTC window per distinct location time zone: the business day is the location's."""
        by_tz: dict[str, _Window] = {}
        for loc in self.locations():
            tz_name = loc.get("timezone") or self.tenant.timezone
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise SourceDataError(f"unknown time zone {tz_name!r}", tenant=self.tenant.slug,
                                      day=period.key, record=loc.get("id"), field_name="timezone") from exc
            if tz_name not in by_tz:
                start = datetime.combine(period.start, datetime.min.time(), tz).astimezone(UTC)
                end = datetime.combine(period.end, datetime.min.time(), tz).astimezone(UTC)
                by_tz[tz_name] = _Window(tz, start, end)
            by_tz[tz_name].location_ids.append(str(loc["id"]))
        return list(by_tz.values())

    def fetch(self, period: SalesPeriod) -> SourceDay:
        day = period.key
        windows = self._windows(period)
        if not windows:
            return SourceDay(complete=True, notes=["no active Square location"], origin=self.client.http.base_url.host)
        last_end = max(w.end for w in windows)
        now = self.clock()
        if now < last_end + self.settle:
            return SourceDay(complete=False, waiting_reason=(
                f"Square day ends {last_end.isoformat()}; final {self.settle} later (offline orders sync late)"
            ))
        ctx = ParseContext(self.tenant.slug, day, self.tenant.currency, self.tenant.country)
        orders: list[dict] = []
        refunds: list[dict] = []
        for w in windows:
            for i in range(0, len(w.location_ids), MAX_LOCATIONS_PER_SEARCH):
                ids = w.location_ids[i:i + MAX_LOCATIONS_PER_SEARCH]
                for order in self.client.search_orders(ids, w.start, w.end, limit=self.page_limit):
                    if w.start <= _stamp(ctx, order, "closed_at") < w.end:
                        orders.append(order)
            for loc_id in w.location_ids:
                for refund in self.client.list_refunds(w.start, w.end, loc_id):
                    if w.start <= _stamp(ctx, refund, "created_at") < w.end:
                        refunds.append(refund)
        pending = [r["id"] for r in refunds if r.get("status") == "PENDING"]
        if pending:
            return SourceDay(complete=False, waiting_reason=f"Square refund(s) still PENDING: {', '.join(pending)}")
        booked = [r for r in refunds if r.get("status") == "COMPLETED"]
        in_day = {o["id"]: o for o in orders}
        wanted = sorted({str(r.get("order_id")) for r in booked if r.get("order_id")} - set(in_day))
        refund_orders = dict(in_day)
        if wanted:
            refund_orders.update({o["id"]: o for o in self.client.batch_retrieve_orders(wanted)})
        result = parse_day(ctx, orders, booked, refund_orders)
        skipped = len(refunds) - len(booked)
        if skipped:
            result.notes.append(f"{skipped} refund(s) REJECTED/FAILED ignored")
        if self.client.retries:
            result.notes.append(f"{len(self.client.retries)} retried request(s)")
        result.origin = str(self.client.http.base_url)
        return result
