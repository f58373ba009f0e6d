"""Chift payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import SourceDataError
from core.frames import (
    normalize_rate,
)
from core.periods import SalesPeriod

SKIPPED_PAYMENT_STATUSES = frozenset({"Canceled", "Failed"})


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
