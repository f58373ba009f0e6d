"""Shopify payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame, normalize_rate
from resources.sources.common import DayContext, allocate, prorate, vat_of_gross

# Orders whose money never moved: not sales.
SKIPPED_FINANCIAL_STATUSES = frozenset({"voided", "expired"})
_UTC = ZoneInfo("UTC")


def _cents(value: Any, ctx: DayContext, record: str, field: str) -> int:
    """A Shopify decimal string ("10.00", "-5.00") → exact integer cents."""
    if value is None or value == "":
        return 0
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ctx.error(f"not an amount: {value!r}", record, field) from exc
    cents = d * 100
    if cents != cents.to_integral_value():
        raise ctx.error(f"amount {value!r} has more than 2 decimals", record, field)
    return int(cents)


def _money(obj: dict, name: str, ctx: DayContext, record: str) -> int:
    """``obj[name + "_set"].shop_money.amount`` when present (shop currency), else ``obj[name]``."""
    money_set = obj.get(f"{name}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        return _cents(money_set["shop_money"].get("amount"), ctx, record, f"{name}_set.shop_money.amount")
    return _cents(obj.get(name), ctx, record, name)


def _timestamp(value: Any, ctx: DayContext, record: str, field: str) -> datetime:
    if not value:
        raise ctx.error("timestamp is missing", record, field)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ctx.error(f"not an ISO 8601 timestamp: {value!r}", record, field) from exc
    if parsed.tzinfo is None:
        raise ctx.error(f"timestamp {value!r} has no UTC offset", record, field)
    return parsed


def _line_rate(tax_lines: list[dict], ctx: DayContext, record: str, field: str) -> str:
    """The one VAT rate of a line (Shopify's ``rate`` is a fraction: 0.2 → "20")."""
    rates = set()
    for i, tl in enumerate(tax_lines or []):
        try:
            rates.add(normalize_rate(tl.get("rate"), fraction=True))
        except ValueError as exc:
            raise ctx.error(str(exc), record, f"{field}[{i}].rate") from exc
    if len(rates) > 1:
        raise ctx.error(f"more than one tax rate on one line ({', '.join(sorted(rates))})", record, field)
    return rates.pop() if rates else "0"


def _vat_part(amount_cents: int, rate: str, taxes_included: bool) -> int:
    """VAT inside (``taxes_included``) or on top of an amount, rounded half up, sign kept."""
    if taxes_included:
        return vat_of_gross(amount_cents, rate)
    r = Decimal(rate)
    if r == 0:
        return 0
    out = int((Decimal(abs(amount_cents)) * r / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return out if amount_cents >= 0 else -out


def _split(gross_by_total: bool, amount: int, vat: int) -> tuple[int, int, int]:
    """(net, vat, gross) from an amount that includes VAT (taxes_included) or excludes it."""
    if gross_by_total:
        return amount - vat, vat, amount
    return amount, vat, amount + vat


def _country(order: dict, default_country: str) -> str:
    for key in ("shipping_address", "billing_address"):
        addr = order.get(key) or {}
        code = addr.get("country_code")
        if code:
            return str(code).upper()
    return default_country


def _row(order: dict, **fields: Any) -> dict:
    return {
        "order_id": str(order["id"]),
        "location": str(order.get("location_id") or ""),
        "currency": order.get("currency") or "",
        **fields,
    }


def _priced_lines(
    order: dict, item: dict, *, kind: str, line_id: str, gross_before: int, discount: int, vat_total: int,
    rate: str, quantity: float, common: dict,
) -> list[dict]:
    """One line at its undiscounted price and, when discounted, a negative ``discount`` line.

    ``vat_total`` is Shopify's tax on the discounted line (``tax_lines[].price``); the discount's
    VAT is computed at the line's rate and the item line carries the rest, so both lines add up
    exactly to what Shopify charged.
    """
    inc = bool(order.get("taxes_included"))
    disc_vat = _vat_part(discount, rate, inc)
    net, vat, gross = _split(inc, gross_before, vat_total + disc_vat)
    rows = [_row(order, line_id=line_id, kind=kind, quantity=quantity, net_cents=net, vat_rate=rate,
                 vat_cents=vat, gross_cents=gross, is_refund=False, **common)]
    if discount:
        dnet, dvat, dgross = _split(inc, -discount, -disc_vat)
        rows.append(_row(order, line_id=f"{line_id}:discount", kind="discount", quantity=0.0, net_cents=dnet,
                         vat_rate=rate, vat_cents=dvat, gross_cents=dgross, is_refund=False, **common))
    return rows


def _order_level_rate(order: dict, ctx: DayContext, record: str) -> str:
    """The one rate of an order whose taxes are given only at order level (``tax_lines`` on the
    order, none on its lines): several rates cannot be told apart line by line, so they fail."""
    rates = set()
    for i, tl in enumerate(order.get("tax_lines") or []):
        rate = ctx.parsed(lambda v: normalize_rate(v, fraction=True), tl.get("rate"), record, f"tax_lines[{i}].rate")
        if rate != "0":
            rates.add(rate)
    if len(rates) != 1:
        raise ctx.error(
            f"taxes are given only at order level, at {len(rates)} rates ({', '.join(sorted(rates)) or 'none'}), "
            "and the lines carry none: which line bears which rate cannot be known", record, "tax_lines")
    return rates.pop()


def _allocate_order_tax(order: dict, specs: list[dict], ctx: DayContext, record: str) -> None:
    """Spread an order-level tax over its lines, in place.

    Shopify computes tax per line (and per shipping line when the shop taxes shipping); an order
    whose ``tax_lines`` are on the order only has lost that split. It is rebuilt at the order's one
    rate: the lines that bear tax are the taxable items (``taxable`` not false, gift cards never),
    with the shipping lines when the tax computed on them at that rate is what the order says,
    without them otherwise; the order's tax is then split over those lines in proportion to their
    amounts (largest remainder, exact to the cent). A tax that matches neither set, within one
    cent per line, is a source error: it cannot be allocated honestly."""
    rate = _order_level_rate(order, ctx, record)
    total = sum(_money(t, "price", ctx, record) for t in order.get("tax_lines") or [])
    inc = bool(order.get("taxes_included"))
    items = [s for s in specs if s["kind"] == "item" and s["taxable"]]
    tried = []
    for chosen in (items + [s for s in specs if s["kind"] == "shipping"], items):
        computed = sum(_vat_part(s["amount"], rate, inc) for s in chosen)
        tried.append(computed)
        if chosen and abs(computed - total) <= len(chosen):
            for s, part in zip(chosen, allocate(total, [abs(s["amount"]) for s in chosen]), strict=True):
                s["vat"], s["rate"] = part, rate
            return
    raise ctx.error(
        f"order-level tax {total} cents at {rate} % matches neither its taxable lines with shipping "
        f"({tried[0]} cents) nor without ({tried[1]} cents)", record, "tax_lines")


def _check_total_tax(order: dict, rows: list[dict], ctx: DayContext, record: str) -> None:
    """The VAT read from the lines must be the order's own ``total_tax`` (when it gives one)."""
    if order.get("total_tax_set") is None and order.get("total_tax") in (None, ""):
        return
    expected = _money(order, "total_tax", ctx, record)
    got = sum(r["vat_cents"] for r in rows)
    if got != expected:
        raise ctx.error(f"the VAT of the order's lines is {got} cents, its total_tax {expected} cents",
                        record, "total_tax")


def parse_order_sales(order: dict, ctx: DayContext, categories: dict[str, str], default_country: str) -> list[dict]:
    """Sales lines of one order (items, gift cards sold, shipping; discounts as their own lines),
    their VAT checked against the order's ``total_tax``; taxes given only at order level are
    spread over the lines (:func:`_allocate_order_tax`)."""
    oid = str(order.get("id"))
    record = f"order {order.get('name') or oid}"
    country = _country(order, default_country)
    specs: list[dict] = []
    for i, li in enumerate(order.get("line_items") or []):
        f = f"line_items[{i}]"
        try:
            qty = int(li.get("quantity"))
        except (TypeError, ValueError) as exc:
            raise ctx.error(f"quantity {li.get('quantity')!r} is not an integer", record, f"{f}.quantity") from exc
        product_id = str(li.get("product_id") or "")
        is_gift_card = bool(li.get("gift_card"))
        specs.append({
            "item": li, "kind": "gift_card" if is_gift_card else "item", "line_id": str(li.get("id")),
            "gross_before": _money(li, "price", ctx, record) * qty, "quantity": float(qty),
            "taxable": li.get("taxable") is not False and not is_gift_card, "field": f,
            "common": {"product_id": product_id, "sku": li.get("sku") or "",
                       "category": "" if is_gift_card else categories.get(product_id, ""), "country": country},
        })
    for i, sl in enumerate(order.get("shipping_lines") or []):
        specs.append({
            "item": sl, "kind": "shipping", "line_id": f"shipping:{sl.get('id')}", "quantity": 1.0,
            "gross_before": _money(sl, "price", ctx, record), "taxable": True, "field": f"shipping_lines[{i}]",
            "common": {"product_id": "", "sku": "", "category": "", "country": country},
        })
    for s in specs:
        item = s["item"]
        s["discount"] = sum(_money(d, "amount", ctx, record) for d in item.get("discount_allocations") or [])
        s["amount"] = s["gross_before"] - s["discount"]
        s["vat"] = sum(_money(t, "price", ctx, record) for t in item.get("tax_lines") or [])
        s["rate"] = _line_rate(item.get("tax_lines") or [], ctx, record, f"{s['field']}.tax_lines")
    if order.get("tax_lines") and not any(s["item"].get("tax_lines") for s in specs):
        _allocate_order_tax(order, specs, ctx, record)
    rows: list[dict] = []
    for s in specs:
        rows += _priced_lines(
            order, s["item"], kind=s["kind"], line_id=s["line_id"], gross_before=s["gross_before"],
            discount=s["discount"], vat_total=s["vat"], rate=s["rate"], quantity=s["quantity"], common=s["common"],
        )
    _check_total_tax(order, rows, ctx, record)
    return rows


def parse_refund(
    order: dict, refund: dict, ctx: DayContext, categories: dict[str, str], default_country: str
) -> list[dict]:
    """Negative lines of one refund: refunded line items and order adjustments.

    ``order_adjustments`` of kind ``shipping_refund`` are booked as shipping at the rate of the
    order's shipping; any other adjustment (``refund_discrepancy``: a refund of an amount rather
    than of lines) is spread over the order's item VAT rates in proportion to their gross.
    """
    oid = str(order.get("id"))
    record = f"order {order.get('name') or oid} refund {refund.get('id')}"
    inc = bool(order.get("taxes_included"))
    country = _country(order, default_country)
    rows: list[dict] = []
    for i, rli in enumerate(refund.get("refund_line_items") or []):
        f = f"refund_line_items[{i}]"
        li = rli.get("line_item") or {}
        subtotal = _money(rli, "subtotal", ctx, record)
        vat = _money(rli, "total_tax", ctx, record)
        rate = _line_rate(li.get("tax_lines") or [], ctx, record, f"{f}.line_item.tax_lines")
        net, vat, gross = _split(inc, -abs(subtotal), -abs(vat))
        product_id = str(li.get("product_id") or "")
        is_gift_card = bool(li.get("gift_card"))
        rows.append(_row(
            order, line_id=f"refund:{refund.get('id')}:{rli.get('id')}",
            kind="gift_card" if is_gift_card else "item", product_id=product_id, sku=li.get("sku") or "",
            category="" if is_gift_card else categories.get(product_id, ""),
            quantity=-float(abs(int(rli.get("quantity") or 0))), net_cents=net, vat_rate=rate, vat_cents=vat,
            gross_cents=gross, country=country, is_refund=True,
        ))
    shipping_rates = {
        _line_rate(sl.get("tax_lines") or [], ctx, record, f"shipping_lines[{i}].tax_lines")
        for i, sl in enumerate(order.get("shipping_lines") or [])
    }
    for i, adj in enumerate(refund.get("order_adjustments") or []):
        f = f"order_adjustments[{i}]"
        amount = -abs(_money(adj, "amount", ctx, record))
        tax = -abs(_money(adj, "tax_amount", ctx, record))
        gross = amount + tax  # Shopify: tax_amount is added to amount
        base_id = f"refund:{refund.get('id')}:adjustment:{adj.get('id')}"
        if adj.get("kind") == "shipping_refund":
            if len(shipping_rates) > 1:
                raise ctx.error("shipping refund on an order with shipping at several rates", record, f)
            rate = shipping_rates.pop() if shipping_rates else "0"
            if tax == 0 and rate != "0":
                tax = -_vat_part(-gross, rate, True)
            rows.append(_row(order, line_id=base_id, kind="shipping", product_id="", sku="", category="",
                             quantity=0.0, net_cents=gross - tax, vat_rate=rate, vat_cents=tax,
                             gross_cents=gross, country=country, is_refund=True))
            continue
        weights: dict[str, int] = {}
        for j, li in enumerate(order.get("line_items") or []):
            if li.get("gift_card"):
                continue
            r = _line_rate(li.get("tax_lines") or [], ctx, record, f"line_items[{j}].tax_lines")
            weights[r] = weights.get(r, 0) + _money(li, "price", ctx, record) * int(li.get("quantity") or 0)
        if not weights:
            raise ctx.error("refund adjustment on an order without taxable items", record, f)
        for rate, part in sorted(prorate(gross, weights).items()):
            if part == 0:
                continue
            v = _vat_part(part, rate, True)
            rows.append(_row(order, line_id=f"{base_id}:{rate}", kind="item", product_id="", sku="",
                             category="", quantity=0.0, net_cents=part - v, vat_rate=rate, vat_cents=v,
                             gross_cents=part, country=country, is_refund=True))
    return rows


def parse_shopify_day(
    orders: Iterable[dict],
    tender_transactions: Iterable[dict],
    *,
    start: datetime,
    end: datetime,
    categories: dict[str, str],
    tenant: str,
    day: str,
    default_country: str = "FR",
    refund_orders: Iterable[dict] = (),
) -> SourceDay:
    """Pure: Shopify payloads → one business day ``[start, end)`` in canonical frames.

    ``orders`` are the orders processed in the day; ``refund_orders`` further orders (of earlier
    days) that may carry refunds processed in the day. ``categories`` maps product id → product_type.
    """
    ctx = DayContext(tenant, day)
    # Compare instants in UTC: Python compares two datetimes sharing one tzinfo by wall clock,
    # which is wrong across a DST change.
    start, end = start.astimezone(_UTC), end.astimezone(_UTC)
    lines: list[dict] = []
    notes: list[str] = []
    by_id: dict[str, dict] = {}
    for order in orders:
        oid = str(order.get("id"))
        by_id[oid] = order
        record = f"order {order.get('name') or oid}"
        if order.get("test"):
            notes.append(f"{record}: test order skipped")
            continue
        if order.get("financial_status") in SKIPPED_FINANCIAL_STATUSES:
            notes.append(f"{record}: financial_status {order['financial_status']}, no money moved, skipped")
            continue
        processed = _timestamp(order.get("processed_at"), ctx, record, "processed_at")
        if not start <= processed < end:
            continue  # processed_at_max is inclusive on Shopify's side; the day is [start, end)
        lines += parse_order_sales(order, ctx, categories, default_country)
    for order in refund_orders:
        by_id.setdefault(str(order.get("id")), order)
    for oid, order in by_id.items():
        if order.get("test"):
            continue
        for refund in order.get("refunds") or []:
            record = f"order {order.get('name') or oid} refund {refund.get('id')}"
            when = refund.get("processed_at") or refund.get("created_at")
            if start <= _timestamp(when, ctx, record, "processed_at") < end:
                lines += parse_refund(order, refund, ctx, categories, default_country)

    payments: list[dict] = []
    for tt in tender_transactions:
        record = f"tender_transaction {tt.get('id')}"
        if tt.get("test"):
            continue
        processed = _timestamp(tt.get("processed_at"), ctx, record, "processed_at")
        if not start <= processed < end:
            continue
        method = tt.get("payment_method")
        if not method:
            raise ctx.error("payment_method is missing", record, "payment_method")
        amount = _cents(tt.get("amount"), ctx, record, "amount")
        order = by_id.get(str(tt.get("order_id")), {})
        payments.append({
            "order_id": str(tt.get("order_id") or ""), "payment_id": str(tt.get("id")),
            "location": str(order.get("location_id") or ""), "method": str(method),
            "amount_cents": amount, "tip_cents": 0, "is_refund": amount < 0,
            "currency": tt.get("currency") or order.get("currency") or "",
        })
    _attach_tips(payments, by_id, ctx, start, end, notes)
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        notes=notes,
    )


def _attach_tips(
    payments: list[dict], orders: dict[str, dict], ctx: DayContext, start: datetime, end: datetime, notes: list[str]
) -> None:
    """Tender transactions include the tip but do not flag it: put ``total_tip_received`` of each
    order processed in the day on that order's largest positive non-gift-card payment of the day."""
    for oid, order in orders.items():
        record = f"order {order.get('name') or oid}"
        tip = _money(order, "total_tip_received", ctx, record) if order.get("total_tip_received") else 0
        if tip <= 0:
            continue
        processed = _timestamp(order.get("processed_at"), ctx, record, "processed_at")
        if not start <= processed < end:
            continue
        candidates = [p for p in payments if p["order_id"] == oid and p["amount_cents"] > 0
                      and p["method"] != "gift_card"]
        if not candidates:
            notes.append(f"{record}: tip of {tip} cents has no payment in the day")
            continue
        target = max(candidates, key=lambda p: (p["amount_cents"], p["payment_id"]))
        if tip > target["amount_cents"]:
            raise ctx.error(f"tip {tip} cents exceeds its payment of {target['amount_cents']} cents",
                            record, "total_tip_received")
        target["tip_cents"] = tip
