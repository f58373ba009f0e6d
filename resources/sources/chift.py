"""Chift unified POS API (``specs/chift-api-openapi.json``): client, pure parser, ``ChiftSource``.

One Chift *consumer* (the tenant) has a POS *connection* (Cashpad, Popina, Innovorder, Zelty...).
For one business day the source reads, per location:

- ``GET /consumers/{consumer_id}/pos/closures/{date}?location_id=`` — is the day ``closed``
  (final)? Its totals per payment method and per VAT rate become the ``closure_totals`` frame,
  which the pipeline cross-checks against the lines;
- ``GET .../pos/orders?date_from&date_to&location_id&state=closed`` — the tickets, with their
  items and payments. The spec says only "dates (inclusive)" without a time basis, so the client
  asks for the day before and the day after as well and keeps the orders whose closing date
  (creation date if none) falls in the *local* business day of the order's location (time zone
  from ``GET .../pos/locations``);
- ``GET .../pos/payments`` (same window) — used for orders whose ``payments`` list is empty (some
  POS expose payments only there);
- ``GET .../pos/payment-methods`` and ``.../pos/accounting-categories`` (+ product categories) —
  the till's own payment method name (``extra``; ``name`` is Chift's normalised one) and the
  category names.

Money is a JSON number in currency units and is read as ``Decimal`` from the JSON text, never as
a float, then converted to integer cents. Tax rates are percents (``5.5``). Tips are *not* part
of payment totals in Chift: the canonical ``amount_cents`` is ``total + tip``.

Tenant settings (``source.settings``):

- ``consumer_id`` (required, a UUID), ``connection_id`` (optional: sent as ``x-chift-connectionid``
  when the consumer has several POS connections),
- ``location_ids`` (optional list; default: every location of the consumer),
- ``require_closed_closure`` (default ``true``: the day waits until Chift says ``closed``),
- ``page_size`` (1–100, default 100).

Credentials (``source.credentials``, env var names): ``client_id``, ``client_secret``,
``account_id``. Base URL: ``source.base_url`` (default ``https://api.chift.eu``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from core.errors import MappingError, SourceDataError, TransientError
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    make_frame,
    normalize_rate,
)
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.tenants import TenantConfig, secret

DEFAULT_BASE_URL = "https://api.chift.eu"
MAX_PAGE_SIZE = 100
TOKEN_MARGIN_SECONDS = 60
DEFAULT_POLICY = RetryPolicy()
SKIPPED_PAYMENT_STATUSES = frozenset({"Canceled", "Failed"})


# --------------------------------------------------------------------------- pure parsing


def to_cents(value: Any, *, record: str, field_name: str) -> int:
    """A Chift amount (JSON number read as Decimal, int, or numeric string) → integer cents.

    Amounts with more than two decimals are rounded half-up to the cent (a few POS send unit
    amounts with 3–4 decimals); ``None`` counts as zero for optional fields handled by callers.
    """
    if isinstance(value, bool) or value is None:
        raise SourceDataError(f"expected an amount, got {value!r}", record=record, field_name=field_name)
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise SourceDataError(f"not an amount: {value!r}", record=record, field_name=field_name) from None
    if not d.is_finite():
        raise SourceDataError(f"not an amount: {value!r}", record=record, field_name=field_name)
    return int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _opt_cents(value: Any, *, record: str, field_name: str) -> int:
    return 0 if value is None else to_cents(value, record=record, field_name=field_name)


def parse_timestamp(value: Any, *, record: str, field_name: str) -> datetime:
    """An ISO 8601 date-time; a naive one is read as UTC (Chift's examples end with ``Z``)."""
    if not isinstance(value, str) or not value:
        raise SourceDataError(f"expected a date-time, got {value!r}", record=record, field_name=field_name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SourceDataError(f"not a date-time: {value!r}", record=record, field_name=field_name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


@dataclass
class ChiftReference:
    """Reference data needed to name things: methods, categories, location time zones."""

    payment_methods: dict[str, dict] = field(default_factory=dict)  # id -> PaymentMethods
    categories: dict[str, str] = field(default_factory=dict)  # category id -> name
    location_tz: dict[str, str] = field(default_factory=dict)  # location id -> IANA zone

    def method_name(self, method_id: str | None, chift_name: str | None) -> str:
        """The till's own name (``extra``) when known, else Chift's normalised name."""
        pm = self.payment_methods.get(method_id or "")
        if pm is not None:
            return (pm.get("extra") or pm.get("name") or "").strip() or (chift_name or "Unknown")
        return (chift_name or "").strip() or (f"method {method_id}" if method_id else "Unknown")


def order_moment(order: dict) -> datetime:
    """When the order counts: its closing date (the sale is final), else its creation date."""
    oid = str(order.get("id"))
    raw = order.get("closing_date") or order.get("creation_date")
    return parse_timestamp(raw, record=f"order {oid}", field_name="closing_date")


def parse_orders(
    orders: Iterable[dict],
    *,
    ref: ChiftReference,
    period: SalesPeriod,
    extra_payments: Iterable[dict] = (),
    default_location: str = "",
    notes: list[str] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Chift ``POSOrderItem``s → canonical sales-line rows and payment rows for ``period``.

    Orders outside the local business period of their location are skipped (the caller asks for
    a wider date window). ``extra_payments`` (``POSPaymentItem`` from ``/pos/payments``) fill in
    orders that carry no payments of their own.
    """
    tenant = period.tenant
    notes = notes if notes is not None else []
    by_order: dict[str, list[dict]] = {}
    for p in extra_payments:
        if p.get("order_id"):
            by_order.setdefault(str(p["order_id"]), []).append(p)
    lines: list[dict] = []
    payments: list[dict] = []
    seen: set[str] = set()
    for order in orders:
        oid = str(order.get("id") or "")
        if not oid:
            raise SourceDataError("order without id", tenant=tenant.slug, day=period.key, field_name="id")
        if oid in seen:
            continue  # the same order listed twice (page overlap): count it once
        location = str(order.get("location_id") or default_location)
        tz_name = ref.location_tz.get(location) or tenant.timezone
        local = order_moment(order).astimezone(ZoneInfo(tz_name))
        if not (period.start <= local.date() < period.end):
            continue
        seen.add(oid)
        rec = f"order {oid}"
        currency = str(order.get("currency") or tenant.currency)
        country = str(order.get("country") or tenant.country).upper()
        order_total = to_cents(order.get("total"), record=rec, field_name="total")
        items = order.get("items") or []
        is_refund = order_total < 0 or (
            order_total == 0 and any(Decimal(str(i.get("quantity", 0))) < 0 for i in items))
        delivery_fee = _opt_cents(order.get("delivery_fee"), record=rec, field_name="delivery_fee")
        for n, item in enumerate(items, start=1):
            lines.append(_parse_item(item, n, order_id=oid, location=location, ref=ref, currency=currency,
                                     country=country, is_refund=is_refund, delivery_fee=delivery_fee,
                                     notes=notes, tenant=tenant.slug, day=period.key))
        order_payments = order.get("payments") or by_order.get(oid, [])
        for n, p in enumerate(order_payments, start=1):
            if p.get("status") in SKIPPED_PAYMENT_STATUSES:
                continue
            pid = str(p.get("id") or f"{oid}-payment-{n}")
            prec = f"order {oid} payment {pid}"
            total = to_cents(p.get("total"), record=prec, field_name="total")
            tip = _opt_cents(p.get("tip"), record=prec, field_name="tip")
            if tip < 0:
                raise SourceDataError(f"negative tip {p.get('tip')!r}", tenant=tenant.slug, day=period.key,
                                      record=prec, field_name="tip")
            payments.append({
                "order_id": oid, "payment_id": pid, "location": location,
                "method": ref.method_name(p.get("payment_method_id"), p.get("payment_method_name")),
                "amount_cents": total + tip, "tip_cents": tip,
                "is_refund": is_refund or total < 0,
                "currency": str(p.get("currency") or currency),
            })
    return lines, payments


def _parse_item(
    item: dict, n: int, *, order_id: str, location: str, ref: ChiftReference, currency: str, country: str,
    is_refund: bool, delivery_fee: int, notes: list[str], tenant: str, day: str,
) -> dict:
    line_id = str(item.get("id") or f"{order_id}-{n}")
    rec = f"order {order_id} item {line_id}"
    gross = to_cents(item.get("total"), record=rec, field_name="total")
    vat = to_cents(item.get("tax_amount"), record=rec, field_name="tax_amount")
    raw_rate = item.get("tax_rate")
    if raw_rate is None:
        if vat != 0:
            raise SourceDataError("tax_rate is missing on a taxed item", tenant=tenant, day=day, record=rec,
                                  field_name="tax_rate")
        rate = "0"
    else:
        try:
            rate = normalize_rate(raw_rate)
        except ValueError as exc:
            raise SourceDataError(str(exc), tenant=tenant, day=day, record=rec, field_name="tax_rate") from None
    item_type = item.get("type") or "product"
    product_id = str(item.get("product_id") or "")
    if item_type == "general_discount":
        kind = "discount"
    elif item_type == "service" and not product_id and delivery_fee and gross == delivery_fee:
        kind = "shipping"  # the POS's delivery fee, rendered as a service line
    else:
        kind = "item"
    cat_id = item.get("accounting_category_id")
    category = ""
    if cat_id:
        category = ref.categories.get(str(cat_id), "")
        if not category:
            category = str(cat_id)
            notes.append(f"{rec}: accounting category {cat_id} is not in the category lists; kept its id")
    try:
        quantity = float(Decimal(str(item.get("quantity"))))
    except InvalidOperation:
        raise SourceDataError(f"not a quantity: {item.get('quantity')!r}", tenant=tenant, day=day, record=rec,
                              field_name="quantity") from None
    return {
        "order_id": order_id, "line_id": line_id, "location": location, "kind": kind,
        "product_id": product_id, "sku": "", "category": category, "quantity": quantity,
        "net_cents": gross - vat, "vat_rate": rate, "vat_cents": vat, "gross_cents": gross,
        "country": country, "is_refund": is_refund, "currency": currency,
    }


def parse_closure(closure: dict, *, location: str, ref: ChiftReference) -> list[dict]:
    """A ``ClosureItem`` → closure-total rows (payments incl. tips; VAT per rate)."""
    rows: dict[tuple[str, str], list[int]] = {}
    day = closure.get("date")
    for info in closure.get("closures") or []:
        rec = f"closure {info.get('id')} of {day}"
        for p in info.get("payments") or []:
            name = ref.method_name(p.get("payment_method_id"), p.get("payment_method_name"))
            amount = to_cents(p.get("total"), record=rec, field_name=f"payments[{name}].total")
            tip = _opt_cents(p.get("tip"), record=rec, field_name=f"payments[{name}].tip")
            rows.setdefault(("payment", name), [0, 0, 0])[0] += amount + tip
        for t in info.get("taxes") or []:
            try:
                rate = normalize_rate(t.get("tax_rate"))
            except ValueError:
                raise SourceDataError(f"not a VAT rate: {t.get('tax_rate')!r}", record=rec,
                                      field_name="taxes.tax_rate") from None
            total = to_cents(t.get("total"), record=rec, field_name=f"taxes[{rate}].total")
            vat = to_cents(t.get("tax_amount"), record=rec, field_name=f"taxes[{rate}].tax_amount")
            acc = rows.setdefault(("vat", rate), [0, 0, 0])
            acc[0] += total
            acc[1] += total - vat
            acc[2] += vat
    return [
        {"location": location, "dimension": dim, "key": key, "amount_cents": a, "net_cents": n, "vat_cents": v}
        for (dim, key), (a, n, v) in rows.items()
    ]


def merge_closure_rows(rows: list[dict]) -> list[dict]:
    """Sum closure rows over days (monthly periods) per location, dimension and key; sorted."""
    acc: dict[tuple[str, str, str], list[int]] = {}
    for r in rows:
        a = acc.setdefault((r["location"], r["dimension"], r["key"]), [0, 0, 0])
        a[0] += r["amount_cents"]
        a[1] += r["net_cents"]
        a[2] += r["vat_cents"]
    return [
        {"location": loc, "dimension": dim, "key": key, "amount_cents": a, "net_cents": n, "vat_cents": v}
        for (loc, dim, key), (a, n, v) in sorted(acc.items())
    ]


# --------------------------------------------------------------------------- HTTP client


class ChiftClient:
    """Authenticated, paginating, retrying access to one Chift consumer."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        account_id: str,
        consumer_id: str,
        connection_id: str | None = None,
        tenant: str | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout: float = 30.0,
        event_hooks: dict | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.consumer_id = consumer_id
        self.tenant = tenant
        self.policy = policy
        self._auth = {"clientId": client_id, "clientSecret": client_secret, "accountId": account_id}
        headers = {"accept": "application/json"}
        if connection_id:
            headers["x-chift-connectionid"] = connection_id
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                  event_hooks=event_hooks or {})
        self._token: str | None = None
        self._token_expires = 0.0
        self.requests_sent = 0

    def close(self) -> None:
        self._http.close()

    # -- auth
    def _access_token(self, *, force: bool = False) -> str:
        if force or self._token is None or time.time() > self._token_expires - TOKEN_MARGIN_SECONDS:
            request = self._http.build_request("POST", "/token", json=self._auth)
            response = self._send(request, what="POST /token")
            if response.status_code in (401, 403, 422):
                raise MappingError(
                    f"Chift refused the client credentials (HTTP {response.status_code}: {_message(response)}); "
                    "check source.credentials client_id / client_secret / account_id",
                    tenant=self.tenant)
            self._raise_for_status(response, "POST /token")
            body = response.json()
            self._token = str(body["access_token"])
            self._token_expires = float(body.get("expires_on") or time.time() + int(body.get("expires_in", 1800)))
        return self._token

    def _send(self, request: httpx.Request, *, what: str) -> httpx.Response:
        self.requests_sent += 1
        return send_with_retries(self._http, request, policy=self.policy, what=f"Chift {what}")

    # -- reads
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/consumers/{consumer_id}{path}``; JSON numbers come back as ``Decimal``."""
        full = f"/consumers/{self.consumer_id}{path}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in (1, 2):
            request = self._http.build_request(
                "GET", full, params=clean,
                headers={"authorization": f"Bearer {self._access_token(force=attempt == 2)}"})
            response = self._send(request, what=f"GET {full}")
            if response.status_code == 401 and attempt == 1:
                response.close()
                continue  # token expired or revoked: get a new one once
            self._raise_for_status(response, f"GET {full}")
            return json.loads(response.content, parse_float=Decimal)
        raise AssertionError("unreachable")

    def get_all(self, path: str, params: dict[str, Any] | None = None, *, page_size: int = MAX_PAGE_SIZE) -> list[dict]:
        """Every item of a ``ChiftPage`` list: ``page`` = 1, 2, ... until ``total`` items are read."""
        items: list[dict] = []
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page, "size": page_size})
            batch = body.get("items") or []
            items.extend(batch)
            total = int(body.get("total") or 0)
            if not batch or len(items) >= total:
                return items
            page += 1

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message = f"Chift {what} answered HTTP {status}: {_message(response)}"
        if status == 429 or status >= 500:
            raise TransientError(message + " (retries exhausted)", tenant=self.tenant)
        if status in (401, 403, 404):
            raise MappingError(message + " (check the consumer id and credentials)", tenant=self.tenant)
        if status == 405:
            raise MappingError(message + " (the POS connector does not support this endpoint)", tenant=self.tenant)
        raise SourceDataError(message, tenant=self.tenant)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        msg = str(body.get("message") or "")
        detail = body.get("detail")
        if isinstance(detail, list) and detail:
            msg += " " + "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        elif detail:
            msg += f" ({detail})"
        return msg.strip() or json.dumps(body)[:200]
    return str(body)[:200]


# --------------------------------------------------------------------------- the source


class ChiftSource:
    """``SalesSource`` for a tenant whose POS is reached through Chift."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: object | None = None,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        event_hooks: dict | None = None,
    ):
        """``warehouse`` is accepted for the common source signature and unused (Chift is
        stateless for us); ``event_hooks`` are passed to httpx (tests record requests)."""
        src = tenant.source
        settings = src.settings
        self.tenant = tenant
        consumer_id = settings.get("consumer_id")
        if not consumer_id:
            raise MappingError("source.settings.consumer_id is required for a Chift source", tenant=tenant.slug)
        creds = {}
        for name in ("client_id", "client_secret", "account_id"):
            env = src.credentials.get(name)
            if not env:
                raise MappingError(f"source.credentials.{name} (an env var name) is required for Chift",
                                   tenant=tenant.slug)
            creds[name] = secret(env, tenant=tenant.slug, what=f"Chift {name}")
        self.location_ids: list[str] | None = (
            [str(x) for x in settings["location_ids"]] if settings.get("location_ids") else None)
        self.require_closed_closure = bool(settings.get("require_closed_closure", True))
        self.page_size = int(settings.get("page_size", MAX_PAGE_SIZE))
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise MappingError(f"source.settings.page_size must be 1..{MAX_PAGE_SIZE}", tenant=tenant.slug)
        self.client = ChiftClient(
            src.base_url or DEFAULT_BASE_URL, consumer_id=str(consumer_id),
            connection_id=settings.get("connection_id"), tenant=tenant.slug, policy=policy,
            event_hooks=event_hooks, **creds)

    def close(self) -> None:
        self.client.close()

    def _reference(self) -> tuple[ChiftReference, list[str]]:
        c = self.client
        locations = c.get_all("/pos/locations", page_size=self.page_size)
        tz = {}
        for loc in locations:
            zone = loc.get("timezone") or self.tenant.timezone
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SourceDataError(f"unknown time zone {zone!r}", tenant=self.tenant.slug,
                                      record=f"location {loc.get('id')}", field_name="timezone") from None
            tz[str(loc["id"])] = zone
        wanted = self.location_ids or sorted(tz)
        missing = [x for x in wanted if x not in tz]
        if missing:
            raise MappingError(f"source.settings.location_ids {missing} are not locations of this Chift "
                               f"consumer (known: {sorted(tz)})", tenant=self.tenant.slug)
        ref = ChiftReference(location_tz=tz)
        for pm in c.get_all("/pos/payment-methods", page_size=self.page_size):
            ref.payment_methods[str(pm["id"])] = pm
        for cat in c.get_all("/pos/product-categories", page_size=self.page_size):
            ref.categories[str(cat["id"])] = str(cat.get("name") or cat["id"])
        for cat in c.get_all("/pos/accounting-categories", page_size=self.page_size):
            ref.categories[str(cat["id"])] = str(cat.get("name") or cat["id"])
        return ref, wanted

    def fetch(self, period: SalesPeriod) -> SourceDay:
        try:
            return self._fetch(period)
        except (SourceDataError, MappingError, TransientError) as err:
            raise err.with_context(tenant=self.tenant.slug, day=period.key) from None

    def _fetch(self, period: SalesPeriod) -> SourceDay:
        ref, locations = self._reference()
        notes: list[str] = []
        closure_rows: list[dict] = []
        waiting: list[str] = []
        for loc in locations:
            for day in period.days():
                closure = self.client.get(f"/pos/closures/{day.isoformat()}", {"location_id": loc})
                status = closure.get("status")
                if status != "closed":
                    waiting.append(f"{loc} {day.isoformat()} ({status or 'no status'})")
                    continue
                if not closure.get("closures"):
                    notes.append(f"closure of {loc} on {day} is closed but has no totals")
                closure_rows.extend(parse_closure(closure, location=loc, ref=ref))
        if waiting and self.require_closed_closure:
            return SourceDay(complete=False, origin=self._origin(),
                             waiting_reason="Chift closure not closed yet for " + ", ".join(waiting))
        if waiting:
            notes.append("closure not closed (require_closed_closure is off): " + ", ".join(waiting))
        # The spec gives no time basis for date_from/date_to: ask one day wider on both sides
        # and keep what falls in each location's local business day.
        first, last = chift_day_bounds(period)
        date_from, date_to = first.isoformat(), last.isoformat()
        all_lines: list[dict] = []
        all_payments: list[dict] = []
        extra = self.client.get_all("/pos/payments", {"date_from": date_from, "date_to": date_to},
                                    page_size=self.page_size)
        for loc in locations:
            orders = self.client.get_all(
                "/pos/orders",
                {"date_from": date_from, "date_to": date_to, "location_id": loc, "state": "closed"},
                page_size=self.page_size)
            lines, payments = parse_orders(orders, ref=ref, period=period, extra_payments=extra,
                                           default_location=loc, notes=notes)
            all_lines.extend(lines)
            all_payments.extend(payments)
        return SourceDay(
            sales_lines=make_frame(all_lines, SALES_LINE_COLUMNS),
            payments=make_frame(all_payments, PAYMENT_COLUMNS),
            closure_totals=make_frame(merge_closure_rows(closure_rows), CLOSURE_COLUMNS),
            complete=True, notes=notes, origin=self._origin(),
        )

    def _origin(self) -> str:
        return f"{self.client.base_url}/consumers/{self.client.consumer_id}/pos"


def chift_day_bounds(period: SalesPeriod) -> tuple[date, date]:
    """The inclusive ``date_from``/``date_to`` the source asks for: one day of margin each side
    (``period.end`` is exclusive, so it already is the day after the last one)."""
    return period.start - timedelta(days=1), period.end
