"""Zelty payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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


def rate_from_hundredths(value: Any) -> str:
    """Zelty rates are hundredths of a percent: ``2000`` → ``"20"``, ``550`` → ``"5.5"``."""
    return normalize_rate(Decimal(int(value)) / 100) if int(value) else "0"


class _Ctx(DayContext):
    def cents(self, value: Any, record: str, field: str) -> int:
        if isinstance(value, bool) or value is None:
            raise self.error(f"{value!r} is not an amount in cents", record, field)
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise self.error(f"{value!r} is not an amount in cents", record, field)


def _item_tax(item: dict) -> dict:
    # v2.10 puts ``tax`` on the entry; older versions put it under ``price.tax``.
    return item.get("tax") or (item.get("price") or {}).get("tax") or {}


def parse_order(order: dict, *, tenant: TenantConfig, ctx: _Ctx) -> tuple[list[dict], list[dict]]:
    """One Zelty order (items, transactions and price expanded) → canonical rows (signed cents)."""
    order_id = str(order.get("id") or "")
    if not order_id:
        raise ctx.error("order without id", "?", "id")
    location = str(order.get("id_restaurant") or "")
    currency = tenant.currency
    price = order.get("price") or {}
    if not isinstance(price, dict):
        raise ctx.error("order price is not expanded (ask expand[]=price)", order_id, "price")
    total = ctx.cents(price.get("final_amount_inc_tax"), order_id, "price.final_amount_inc_tax")
    is_refund = total < 0
    lines: list[dict] = []
    per_rate: dict[str, list[int]] = {}
    for i, item in enumerate(order.get("items") or []):
        line_id = f"{order_id}-{i + 1}"
        record = f"{order_id}/{line_id}"
        item_price = item.get("price") or {}
        gross = ctx.cents(item_price.get("final_amount_inc_tax"), record, "price.final_amount_inc_tax")
        tax = _item_tax(item)
        vat = ctx.cents(tax.get("tax_amount", 0), record, "tax.tax_amount")
        try:
            rate = rate_from_hundredths(tax.get("tax_rate") or 0)
        except (ValueError, TypeError) as exc:
            raise ctx.error(f"{tax.get('tax_rate')!r} is not a rate in hundredths of a percent", record,
                            "tax.tax_rate") from exc
        if vat and rate == "0":
            raise ctx.error("a taxed item has no tax rate", record, "tax.tax_rate")
        acc = per_rate.setdefault(rate, [0, 0])
        acc[0] += gross
        acc[1] += vat
        lines.append({
            "order_id": order_id, "line_id": line_id, "location": location, "kind": "item",
            "product_id": str(item.get("item_id") or ""), "sku": "", "category": "",
            "quantity": -1.0 if gross < 0 else 1.0, "net_cents": gross - vat, "vat_rate": rate,
            "vat_cents": vat, "gross_cents": gross, "country": tenant.country,
            "is_refund": is_refund or gross < 0, "currency": currency,
        })
    # Reconcile the items with the order's per-rate totals: the difference is order-level.
    taxes = price.get("taxes") or []
    if taxes:
        for t in taxes:
            rate = rate_from_hundredths(t.get("rate") or 0)
            inc = ctx.cents(t.get("inc_tax"), order_id, "price.taxes.inc_tax")
            amount = ctx.cents(t.get("amount"), order_id, "price.taxes.amount")
            items_gross, items_vat = per_rate.pop(rate, [0, 0])
            d_gross, d_vat = inc - items_gross, amount - items_vat
            if d_gross or d_vat:
                kind = "discount" if d_gross < 0 else "fee"
                lines.append({
                    "order_id": order_id, "line_id": f"{order_id}-{kind}-{rate}", "location": location,
                    "kind": kind, "product_id": "", "sku": "", "category": "", "quantity": 1.0,
                    "net_cents": d_gross - d_vat, "vat_rate": rate, "vat_cents": d_vat, "gross_cents": d_gross,
                    "country": tenant.country, "is_refund": is_refund, "currency": currency,
                })
        leftover = {r: v for r, v in per_rate.items() if v != [0, 0]}
        if leftover:
            raise ctx.error(f"items at rate(s) {sorted(leftover)} % are missing from the order's tax totals",
                            order_id, "price.taxes")
    if sum(row["gross_cents"] for row in lines) != total:
        raise ctx.error(f"lines add up to {sum(r['gross_cents'] for r in lines)} cents, the order total is "
                        f"{total}", order_id, "price.final_amount_inc_tax")
    payments: list[dict] = []
    for i, tr in enumerate(order.get("transactions") or []):
        payment_id = f"{order_id}-T{i + 1}"
        method = tr.get("method")
        if isinstance(method, dict):  # expand[]=transactions.method
            method = method.get("name")
        method = str(method or tr.get("name") or "")
        if not method:
            raise ctx.error("transaction without a method name", f"{order_id}/{payment_id}", "method")
        amount = ctx.cents(tr.get("price"), f"{order_id}/{payment_id}", "price")
        payments.append({"order_id": order_id, "payment_id": payment_id, "location": location,
                         "method": method, "amount_cents": amount, "tip_cents": 0,
                         "is_refund": amount < 0, "currency": currency})
    excess = sum(p["amount_cents"] for p in payments) - total
    if excess > 0 and total >= 0:
        takers = [p for p in payments if p["amount_cents"] >= excess]
        if not takers:
            raise ctx.error(f"{excess} cents paid above the total cannot be carried by one transaction",
                            order_id, "transactions")
        takers[-1]["tip_cents"] = excess
    return lines, payments


def check_closure(closure: dict, lines: list[dict], *, ctx: _Ctx, tolerance_per_line: int) -> str:
    """Compare the closure's ``turnover``/``taxes`` with its orders; returns a note, raises on mismatch.

    ⚠️ Zelty documents ``turnover`` only as "Total turnover of the closure (in cents)": it is matched
    against the orders' total incl. VAT, or excl. VAT, and the note says which one matched.
    """
    record = f"closure {closure.get('id')}"
    gross = sum(r["gross_cents"] for r in lines)
    vat = sum(r["vat_cents"] for r in lines)
    turnover = ctx.cents(closure.get("turnover"), record, "turnover")
    taxes = ctx.cents(closure.get("taxes") or 0, record, "taxes")
    tolerance = tolerance_per_line * max(1, len(lines))
    if abs(taxes - vat) > tolerance:
        raise ctx.error(f"the closure's taxes are {taxes} cents, its orders' VAT is {vat} cents", record, "taxes")
    if turnover == gross:
        basis = "incl. VAT"
    elif abs(turnover - (gross - vat)) <= tolerance:
        basis = "excl. VAT"
    else:
        raise ctx.error(f"the closure's turnover is {turnover} cents, its orders total {gross} cents incl. VAT "
                        f"({gross - vat} excl. VAT)", record, "turnover")
    return f"closure {closure.get('id')} (restaurant {closure.get('id_restaurant')}): turnover {turnover} " \
           f"matches the orders {basis}, taxes {taxes}"


def parse_closure_day(closures: list[tuple[dict, list[dict]]], *, tenant: TenantConfig, day: date,
                      origin: str = "") -> SourceDay:
    """Pure: ``(closure, its orders)`` pairs of one business day → a complete ``SourceDay``."""
    ctx = _Ctx(tenant.slug, day.isoformat())
    lines: list[dict] = []
    payments: list[dict] = []
    notes: list[str] = []
    for closure, orders in closures:
        c_lines: list[dict] = []
        skipped = 0
        for order in orders:
            if order.get("status") not in (None, "ended", "closed") and not isinstance(order.get("status"), int):
                skipped += 1  # opened / cancelled orders carry no booked money
                continue
            ol, op = parse_order(order, tenant=tenant, ctx=ctx)
            c_lines.extend(ol)
            payments.extend(op)
        notes.append(check_closure(closure, c_lines, ctx=ctx,
                                   tolerance_per_line=tenant.accounting.rounding_tolerance_cents_per_line))
        if skipped:
            notes.append(f"closure {closure.get('id')}: {skipped} order(s) not ended were ignored")
        lines.extend(c_lines)
    return SourceDay(sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
                     payments=make_frame(payments, PAYMENT_COLUMNS),
                     closure_totals=empty_frame(CLOSURE_COLUMNS), notes=notes, origin=origin)
