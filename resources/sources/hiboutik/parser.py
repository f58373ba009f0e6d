"""Hiboutik payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    empty_frame,
    make_frame,
    normalize_rate,
)
from core.tenants import TenantConfig
from resources.sources.common import DayContext

SPLIT_PAYMENT = "DIV"


def to_cents(value: Any) -> int:
    """Hiboutik decimal string (``"3.00"``, ``"-12.90"``) → integer cents (exact, 2 decimals)."""
    try:
        amount = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"{value!r} is not an amount in cents")
    return int(amount)


class _Ctx(DayContext):
    def cents(self, value: Any, record: str, field: str) -> int:
        return self.parsed(to_cents, value, record, field)


def _rate(item: dict, ctx: _Ctx, record: str) -> str:
    """``tax_value`` (percent: 20, 5.5) cross-checked with ``vat`` (fraction: "0.200")."""
    found = {}
    for name in ("tax_value", "vat"):
        if item.get(name) not in (None, ""):
            try:
                found[name] = normalize_rate(item[name], fraction=name == "vat")
            except ValueError as exc:
                raise ctx.error(f"{item[name]!r} is not a VAT rate", record, name) from exc
    if not found:
        raise ctx.error("line without tax_value nor vat", record, "tax_value")
    if len(set(found.values())) > 1:
        raise ctx.error(f"tax_value {item['tax_value']!r} disagrees with vat {item['vat']!r}", record, "vat")
    return next(iter(found.values()))


def parse_sale(sale: dict, *, categories: dict[str, str], tenant: TenantConfig, ctx: _Ctx,
               tip_skus: frozenset[str] = frozenset()) -> tuple[list[dict], list[dict]]:
    """One Hiboutik sale detail → canonical line rows and payment rows (signed cents)."""
    order_id = str(sale.get("sale_id") or "")
    if not order_id:
        raise ctx.error("sale without sale_id", "?", "sale_id")
    location = str(sale.get("store_id") or "")
    currency = str(sale.get("currency") or tenant.currency)
    if ctx.cents(sale.get("service_charge") or "0", order_id, "service_charge"):
        raise ctx.error(f"service charge {sale['service_charge']} has no VAT breakdown in the API; "
                        "record it as a product line instead", order_id, "service_charge")
    lines: list[dict] = []
    tips = 0
    for i, item in enumerate(sale.get("line_items") or []):
        line_id = str(item.get("line_item_id") or f"{order_id}-{i + 1}")
        record = f"{order_id}/{line_id}"
        gross = ctx.cents(item.get("item_total_gross"), record, "item_total_gross")
        net = ctx.cents(item.get("item_total_net"), record, "item_total_net")
        vat = ctx.cents(item.get("item_total_tax"), record, "item_total_tax")
        if net + vat != gross:
            raise ctx.error(f"item_total_net {item['item_total_net']} + item_total_tax {item['item_total_tax']} "
                            f"!= item_total_gross {item['item_total_gross']}", record, "item_total_gross")
        rate = _rate(item, ctx, record)
        sku = str(item.get("products_ref_ext") or item.get("product_barcode") or "")
        if sku and sku in tip_skus:
            if vat:
                raise ctx.error(f"tip line {sku!r} carries VAT ({rate} %); a tip is outside VAT", record,
                                "item_total_tax")
            tips += gross
            continue
        product = int(item.get("product_id") or 0)
        kind = "discount" if product == 0 and gross < 0 else "item"
        returned = int(item.get("line_item_id_return") or 0) != 0
        try:
            quantity = float(Decimal(str(item.get("quantity") or 0)))
        except InvalidOperation as exc:
            raise ctx.error(f"{item.get('quantity')!r} is not a quantity", record, "quantity") from exc
        category_id = str(item.get("product_category") or "0")
        lines.append({
            "order_id": order_id, "line_id": line_id, "location": location, "kind": kind,
            "product_id": str(product) if product else "", "sku": sku,
            "category": categories.get(category_id, ""), "quantity": quantity, "net_cents": net,
            "vat_rate": rate, "vat_cents": vat, "gross_cents": gross, "country": tenant.country,
            "is_refund": returned or (kind == "item" and gross < 0), "currency": currency,
        })
    total = ctx.cents(sale.get("total"), order_id, "total")
    if sum(row["gross_cents"] for row in lines) + tips != total:
        raise ctx.error(f"line items add up to {sum(r['gross_cents'] for r in lines) + tips} cents, "
                        f"the sale total is {sale.get('total')}", order_id, "total")
    parts = sale.get("payment_details") or []
    if sale.get("payment") == SPLIT_PAYMENT or parts:
        raw = [(str(p.get("payment_detail_id") or f"{order_id}-{k + 1}"), str(p.get("payment_type") or ""),
                ctx.cents(p.get("payment_amount"), f"{order_id}/{p.get('payment_detail_id')}",
                          "payment_amount")) for k, p in enumerate(parts)]
        if sum(a for _, _, a in raw) != total:
            raise ctx.error(f"split payment parts add up to {sum(a for _, _, a in raw)} cents, the sale "
                            f"total is {sale.get('total')}", order_id, "payment_details")
    elif total:
        raw = [(order_id, str(sale.get("payment") or ""), total)]
    else:
        raw = []
    payments = []
    for payment_id, method, amount in raw:
        if not method:
            raise ctx.error("payment without a payment type", f"{order_id}/{payment_id}", "payment")
        payments.append({"order_id": order_id, "payment_id": payment_id, "location": location,
                         "method": method, "amount_cents": amount, "tip_cents": 0,
                         "is_refund": amount < 0, "currency": currency})
    if tips:
        takers = [p for p in payments if p["amount_cents"] >= tips]
        if tips < 0 or not takers:
            raise ctx.error(f"a tip of {tips} cents cannot be carried by any payment of the sale", order_id,
                            "line_items")
        takers[-1]["tip_cents"] = tips
    return lines, payments


def parse_day(sales: list[dict], *, categories: dict[str, str], tenant: TenantConfig, day: date,
              tip_skus: frozenset[str] = frozenset(), origin: str = "") -> SourceDay:
    """Pure: the detailed sales of one store-day → a complete ``SourceDay``."""
    ctx = _Ctx(tenant.slug, day.isoformat())
    lines: list[dict] = []
    payments: list[dict] = []
    for sale in sales:
        sl, sp = parse_sale(sale, categories=categories, tenant=tenant, ctx=ctx, tip_skus=tip_skus)
        lines.extend(sl)
        payments.extend(sp)
    return SourceDay(sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
                     payments=make_frame(payments, PAYMENT_COLUMNS),
                     closure_totals=empty_frame(CLOSURE_COLUMNS), origin=origin)


def open_sales_of_day(open_sales: list[dict], day: date) -> list[str]:
    """Ids of the open sales created on ``day`` (``created_at`` is local "YYYY-MM-DD HH:MM:SS")."""
    return [str(s.get("sale_id")) for s in open_sales if str(s.get("created_at") or "")[:10] == day.isoformat()]
