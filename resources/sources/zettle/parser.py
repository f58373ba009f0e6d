"""Zettle payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame, normalize_rate
from core.tenants import TenantConfig
from resources.sources.common import DayContext, allocate, vat_of_gross


def _spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; exact sum); all zeros
    when there is nothing to split or nothing to split over."""
    if total == 0 or sum(weights) == 0:
        return [0] * len(weights)
    return allocate(total, weights)


def parse_timestamp(value: str) -> datetime:
    """Zettle's ``2019-12-03T17:05:06.123+0000`` (ISO 8601 basic offset) → aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text)


@dataclass
class _Ctx(DayContext):
    currency: str
    country: str


def _int(ctx: _Ctx, obj: dict, key: str, record: str, where: str, *, default: int | None = None) -> int:
    value = obj.get(key, default)
    if value is None:
        raise ctx.error("missing amount", record, f"{where}{key}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"{value!r} is not an integer of minor units", record, f"{where}{key}")
    return value


def _rate(ctx: _Ctx, obj: dict, record: str, where: str) -> str:
    try:
        return normalize_rate(obj.get("vatPercentage", 0))
    except ValueError as exc:
        raise ctx.error(str(exc), record, f"{where}vatPercentage") from exc


def parse_purchase(ctx: _Ctx, purchase: dict) -> tuple[list[dict], list[dict]]:
    """One purchase (sale or refund) → (sales line rows, payment rows)."""
    pid = str(purchase.get("purchaseUUID1") or purchase.get("purchaseUUID") or "")
    if not pid:
        raise ctx.error("purchase without purchaseUUID1", None, "purchaseUUID1")
    currency = purchase.get("currency") or ctx.currency
    if currency != ctx.currency:
        raise ctx.error(f"currency {currency} differs from the tenant's {ctx.currency}", pid, "currency")
    is_refund = bool(purchase.get("refund"))
    products = purchase.get("products") or []
    rows: list[dict] = []
    after_row_discount: list[int] = []
    for i, product in enumerate(products):
        where = f"products[{i}]."
        try:
            qty = Decimal(str(product.get("quantity")))
        except InvalidOperation as exc:
            raise ctx.error(f"quantity {product.get('quantity')!r} is not a number", pid, f"{where}quantity") from exc
        unit = _int(ctx, product, "unitPrice", pid, where)
        row_gross = int((qty * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        discount = _int(ctx, product, "discountValue", pid, where, default=0)
        # discountValue is a positive amount; on a refund row the price is negative
        after_row_discount.append(row_gross - discount if row_gross >= 0 else row_gross + discount)
        rows.append({"qty": qty, "product": product, "where": where})
    purchase_discount = sum(_int(ctx, d, "value", pid, f"discounts[{j}].", default=0)
                            for j, d in enumerate(purchase.get("discounts") or []))
    sign = -1 if is_refund else 1
    shares = _spread(purchase_discount, [abs(g) for g in after_row_discount])
    lines: list[dict] = []
    for i, (row, base, share) in enumerate(zip(rows, after_row_discount, shares, strict=True)):
        product, where = row["product"], row["where"]
        gross = base - sign * share
        rate = _rate(ctx, product, pid, where)
        if "rowTaxableAmount" in product:
            net = _int(ctx, product, "rowTaxableAmount", pid, where)
        else:
            net = gross - vat_of_gross(gross, rate)
        kind = "gift_card" if product.get("type") == "GIFTCARD" else "item"
        lines.append({
            "order_id": pid, "line_id": f"{pid}:{i}", "location": "", "kind": kind,
            "product_id": str(product.get("productUuid") or ""), "sku": str(product.get("sku") or ""),
            "category": "", "quantity": float(row["qty"]), "net_cents": net, "vat_rate": rate,
            "vat_cents": gross - net, "gross_cents": gross, "country": ctx.country, "is_refund": is_refund,
            "currency": ctx.currency,
        })
    charge = purchase.get("serviceCharge")
    if charge:
        where = "serviceCharge."
        qty = Decimal(str(charge.get("quantity", "1")))
        gross = int((qty * _int(ctx, charge, "amount", pid, where)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        gross = -abs(gross) if is_refund else gross
        rate = _rate(ctx, charge, pid, where)
        vat = vat_of_gross(gross, rate)
        lines.append({
            "order_id": pid, "line_id": f"{pid}:service", "location": "", "kind": "service_charge",
            "product_id": "", "sku": "", "category": "", "quantity": float(qty), "net_cents": gross - vat,
            "vat_rate": rate, "vat_cents": vat, "gross_cents": gross, "country": ctx.country,
            "is_refund": is_refund, "currency": ctx.currency,
        })
    payments: list[dict] = []
    for i, pay in enumerate(purchase.get("payments") or []):
        where = f"payments[{i}]."
        amount = _int(ctx, pay, "amount", pid, where)
        tip = _int(ctx, pay, "gratuityAmount", pid, where, default=0)
        if tip < 0:
            raise ctx.error(f"refunded gratuity {tip} cannot be booked (tips are a staff liability, "
                            "refund them outside the till)", pid, f"{where}gratuityAmount")
        if not pay.get("type"):
            raise ctx.error("payment without type", pid, f"{where}type")
        payments.append({
            "order_id": pid, "payment_id": str(pay.get("uuid") or f"{pid}:p{i}"), "location": "",
            "method": str(pay["type"]), "amount_cents": amount, "tip_cents": tip, "is_refund": is_refund,
            "currency": ctx.currency,
        })
    goods = sum(line["gross_cents"] for line in lines)
    tips = sum(p["tip_cents"] for p in payments)
    amount = _int(ctx, purchase, "amount", pid, "")
    if goods not in (amount, amount - tips):
        raise ctx.error(f"products and service charge total {goods} but the purchase amount is {amount}",
                        pid, "amount")
    paid = sum(p["amount_cents"] for p in payments)
    if paid - tips != goods:
        raise ctx.error(f"payments (excluding gratuity) total {paid - tips} but the goods total {goods}",
                        pid, "payments")
    if "vatAmount" in purchase:
        vat = sum(line["vat_cents"] for line in lines)
        declared = _int(ctx, purchase, "vatAmount", pid, "")
        if abs(vat - declared) > len(lines):  # a cent per row of rounding in the discount spread
            raise ctx.error(f"row VAT totals {vat} but the purchase's vatAmount is {declared}", pid, "vatAmount")
    return lines, payments


def parse_purchases(ctx: _Ctx, purchases: list[dict]) -> SourceDay:
    lines: list[dict] = []
    payments: list[dict] = []
    for purchase in purchases:
        ls, ps = parse_purchase(ctx, purchase)
        lines += ls
        payments += ps
    refunds = sum(1 for p in purchases if p.get("refund"))
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        notes=[f"{len(purchases) - refunds} purchases, {refunds} refunds"],
    )


def parse_context(tenant: TenantConfig, day: str) -> _Ctx:
    return _Ctx(tenant.slug, day, tenant.currency, tenant.country)
