"""Square payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame, normalize_rate
from resources.sources.common import DayContext, allocate, vat_of_gross


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def timestamp_of(ctx: ParseContext, obj: dict, key: str) -> datetime:
    """An RFC 3339 timestamp of a Square object, or a source error naming the object."""
    try:
        moment = _parse_time(str(obj[key]))
    except (KeyError, ValueError) as exc:
        raise ctx.error(f"{key} {obj.get(key)!r} is not an RFC 3339 timestamp", str(obj.get("id")), key) from exc
    if moment.tzinfo is None:
        raise ctx.error(f"{key} {obj[key]!r} has no UTC offset", str(obj.get("id")), key)
    return moment


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
