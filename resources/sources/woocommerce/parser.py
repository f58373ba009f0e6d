"""Woocommerce payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from resources.sources.common import DayContext, prorate, vat_of_gross
from resources.sources.woocommerce.settings import DEFAULT_TIP_FEE_NAMES

UTC = ZoneInfo("UTC")
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})


def _cents(value: Any, ctx: DayContext, record: str, field: str) -> int:
    """A WooCommerce decimal string ("29.35", "-9.00", "0.9") → integer cents, half up.

    Amounts are formatted with ``dp`` (default 2) decimals; an unrounded value (a shop asking more
    decimals) is rounded half up, which the day's rounding tolerance absorbs.
    """
    if value is None or value == "":
        return 0
    try:
        d = Decimal(str(value)) * 100
    except InvalidOperation as exc:
        raise ctx.error(f"not an amount: {value!r}", record, field) from exc
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(rate: Any) -> str:
    """WooCommerce's ``"20.0000"`` (always percent) → ``"20"``; ``"5.5000"`` → ``"5.5"``."""
    d = Decimal(str(rate).strip()).normalize()
    text = format(d, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


def _gmt(value: Any, ctx: DayContext, record: str, field: str) -> datetime:
    """``date_*_gmt`` ("2017-03-22T19:28:02", no offset) → aware UTC."""
    if not value:
        raise ctx.error("date is missing", record, field)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", ""))
    except ValueError as exc:
        raise ctx.error(f"not an ISO 8601 date: {value!r}", record, field) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class WooParser:
    """Pure parser for one day; ``rates`` maps tax rate id → percent string, ``categories`` maps
    product id → category name."""

    def __init__(self, *, tenant: str, day: str, rates: dict[str, str], categories: dict[str, str],
                 default_country: str = "FR", tip_fee_names: Iterable[str] = DEFAULT_TIP_FEE_NAMES):
        self.ctx = DayContext(tenant, day)
        self.rates = rates
        self.categories = categories
        self.default_country = default_country
        self.tip_names = {n.strip().casefold() for n in tip_fee_names}

    # -- helpers -----------------------------------------------------------------------------
    def _rate(self, order: dict, taxes: list[dict], record: str, field: str) -> str:
        """The line's VAT rate from its ``taxes[]`` (ids are tax rate ids)."""
        found = set()
        for i, t in enumerate(taxes or []):
            if _cents(t.get("total"), self.ctx, record, f"{field}[{i}].total") == 0 and \
                    _cents(t.get("subtotal"), self.ctx, record, f"{field}[{i}].subtotal") == 0:
                continue
            rid = str(t.get("id"))
            rate = self.rates.get(rid)
            if rate is None:
                for tl in order.get("tax_lines") or []:
                    if str(tl.get("rate_id")) == rid and tl.get("rate_percent") is not None:
                        rate = percent(tl["rate_percent"])
            if rate is None:
                raise self.ctx.error(f"tax rate id {rid} is unknown (not in /taxes nor in tax_lines)",
                                     record, f"{field}[{i}].id")
            found.add(rate)
        if len(found) > 1:
            raise self.ctx.error(f"more than one tax rate on one line ({', '.join(sorted(found))})", record, field)
        return found.pop() if found else "0"

    def _country(self, order: dict) -> str:
        for key in ("shipping", "billing"):
            code = (order.get(key) or {}).get("country")
            if code:
                return str(code).upper()
        return self.default_country

    def _row(self, order: dict, **fields: Any) -> dict:
        return {"order_id": str(order.get("id")), "location": "", "currency": order.get("currency") or "",
                "country": self._country(order), **fields}

    def _is_tip(self, fee: dict) -> bool:
        return str(fee.get("name") or "").strip().casefold() in self.tip_names

    # -- sales -------------------------------------------------------------------------------
    def order_lines(self, order: dict) -> list[dict]:
        record = f"order {order.get('number') or order.get('id')}"
        c = self.ctx
        rows: list[dict] = []
        for i, li in enumerate(order.get("line_items") or []):
            f = f"line_items[{i}]"
            rate = self._rate(order, li.get("taxes") or [], record, f"{f}.taxes")
            net = _cents(li.get("total"), c, record, f"{f}.total")
            vat = _cents(li.get("total_tax"), c, record, f"{f}.total_tax")
            sub = _cents(li.get("subtotal"), c, record, f"{f}.subtotal") if li.get("subtotal") not in (None, "") else net
            sub_vat = (_cents(li.get("subtotal_tax"), c, record, f"{f}.subtotal_tax")
                       if li.get("subtotal_tax") not in (None, "") else vat)
            pid = str(li.get("product_id") or "")
            common = {"product_id": pid, "sku": li.get("sku") or "", "category": self.categories.get(pid, ""),
                      "vat_rate": rate, "is_refund": False}
            rows.append(self._row(order, line_id=str(li.get("id")), kind="item",
                                  quantity=float(li.get("quantity") or 0), net_cents=sub, vat_cents=sub_vat,
                                  gross_cents=sub + sub_vat, **common))
            if sub != net or sub_vat != vat:
                dn, dv = net - sub, vat - sub_vat
                rows.append(self._row(order, line_id=f"{li.get('id')}:discount", kind="discount", quantity=0.0,
                                      net_cents=dn, vat_cents=dv, gross_cents=dn + dv, **common))
        for i, sl in enumerate(order.get("shipping_lines") or []):
            f = f"shipping_lines[{i}]"
            net = _cents(sl.get("total"), c, record, f"{f}.total")
            vat = _cents(sl.get("total_tax"), c, record, f"{f}.total_tax")
            rows.append(self._row(order, line_id=f"shipping:{sl.get('id')}", kind="shipping", product_id="",
                                  sku="", category="", quantity=1.0, net_cents=net, vat_cents=vat,
                                  gross_cents=net + vat, is_refund=False,
                                  vat_rate=self._rate(order, sl.get("taxes") or [], record, f"{f}.taxes")))
        for i, fee in enumerate(order.get("fee_lines") or []):
            if self._is_tip(fee):
                continue
            f = f"fee_lines[{i}]"
            net = _cents(fee.get("total"), c, record, f"{f}.total")
            vat = _cents(fee.get("total_tax"), c, record, f"{f}.total_tax")
            rows.append(self._row(order, line_id=f"fee:{fee.get('id')}", kind="fee", product_id="", sku="",
                                  category="", quantity=1.0, net_cents=net, vat_cents=vat, gross_cents=net + vat,
                                  is_refund=False,
                                  vat_rate=self._rate(order, fee.get("taxes") or [], record, f"{f}.taxes")))
        return rows

    def order_payment(self, order: dict) -> dict:
        record = f"order {order.get('number') or order.get('id')}"
        method = order.get("payment_method") or ""
        if not method:
            raise self.ctx.error("payment_method is empty on a paid order", record, "payment_method")
        tip = sum(_cents(fee.get("total"), self.ctx, record, f"fee_lines[{i}].total")
                  + _cents(fee.get("total_tax"), self.ctx, record, f"fee_lines[{i}].total_tax")
                  for i, fee in enumerate(order.get("fee_lines") or []) if self._is_tip(fee))
        return {"order_id": str(order.get("id")), "payment_id": str(order.get("transaction_id") or f"order:{order.get('id')}"),
                "location": "", "method": method, "amount_cents": _cents(order.get("total"), self.ctx, record, "total"),
                "tip_cents": tip, "is_refund": False, "currency": order.get("currency") or ""}

    # -- refunds -----------------------------------------------------------------------------
    def refund_lines(self, order: dict, refund: dict) -> tuple[list[dict], dict]:
        """Negative lines and the negative payment of one refund.

        A refund's ``amount`` is the money returned and takes precedence over its line items
        (WooCommerce docs); the part not explained by line items (an amount-only refund, refunded
        shipping) is spread over the order's VAT rates in proportion to their gross.
        """
        c = self.ctx
        record = f"order {order.get('number') or order.get('id')} refund {refund.get('id')}"
        amount = abs(_cents(refund.get("amount"), c, record, "amount"))
        rows: list[dict] = []
        for i, li in enumerate(refund.get("line_items") or []):
            f = f"line_items[{i}]"
            net = -abs(_cents(li.get("total"), c, record, f"{f}.total"))
            vat = -abs(_cents(li.get("total_tax"), c, record, f"{f}.total_tax"))
            pid = str(li.get("product_id") or "")
            rows.append(self._row(order, line_id=f"refund:{refund.get('id')}:{li.get('id')}", kind="item",
                                  product_id=pid, sku=li.get("sku") or "", category=self.categories.get(pid, ""),
                                  quantity=-abs(float(li.get("quantity") or 0)), net_cents=net, vat_cents=vat,
                                  gross_cents=net + vat, is_refund=True,
                                  vat_rate=self._rate(order, li.get("taxes") or [], record, f"{f}.taxes")))
        rest = -amount - sum(r["gross_cents"] for r in rows)
        if rest:
            weights: dict[str, int] = {}
            for r in self.order_lines(order):
                weights[r["vat_rate"]] = weights.get(r["vat_rate"], 0) + r["gross_cents"]
            weights = {k: v for k, v in weights.items() if v > 0}
            if not weights:
                raise c.error("refund amount cannot be placed: the order has no sales to refund", record, "amount")
            for rate, part in sorted(prorate(rest, weights).items()):
                if part:
                    v = vat_of_gross(part, rate)
                    rows.append(self._row(order, line_id=f"refund:{refund.get('id')}:amount:{rate}", kind="item",
                                          product_id="", sku="", category="", quantity=0.0, net_cents=part - v,
                                          vat_cents=v, gross_cents=part, is_refund=part < 0, vat_rate=rate))
        payment = {"order_id": str(order.get("id")), "payment_id": f"refund:{refund.get('id')}", "location": "",
                   "method": order.get("payment_method") or "", "amount_cents": -amount, "tip_cents": 0,
                   "is_refund": True, "currency": order.get("currency") or ""}
        if not payment["method"]:
            raise c.error("payment_method is empty on a refunded order", record, "payment_method")
        return rows, payment


def parse_woocommerce_day(
    orders: Iterable[dict],
    refunds: dict[str, list[dict]],
    *,
    start: datetime,
    end: datetime,
    rates: dict[str, str],
    categories: dict[str, str],
    tenant: str,
    day: str,
    default_country: str = "FR",
    refund_orders: Iterable[dict] = (),
    tip_fee_names: Iterable[str] = DEFAULT_TIP_FEE_NAMES,
    book_on: str = "paid",
) -> SourceDay:
    """Pure: WooCommerce payloads → one business day ``[start, end)``.

    ``orders`` are the orders that may be booked in the day (modified since it began); an order is
    booked on the day it was paid (``date_paid_gmt``), or completed (``date_completed_gmt``) when
    ``book_on`` says so, whatever day it was created; one never paid (cancelled, failed, pending
    before payment) is never booked. ``refund_orders`` are other orders whose refunds may fall in
    the day; ``refunds`` maps order id → ``GET /orders/{id}/refunds``.
    """
    moment_field = {"paid": "date_paid_gmt", "completed": "date_completed_gmt"}[book_on]
    p = WooParser(tenant=tenant, day=day, rates=rates, categories=categories, default_country=default_country,
                  tip_fee_names=tip_fee_names)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    lines: list[dict] = []
    payments: list[dict] = []
    notes: list[str] = []
    by_id: dict[str, dict] = {}
    for order in orders:
        oid = str(order.get("id"))
        by_id[oid] = order
        record = f"order {order.get('number') or oid}"
        if not order.get(moment_field):
            continue  # not paid (or not completed) yet: booked the day it is
        if not start <= _gmt(order.get(moment_field), p.ctx, record, moment_field) < end:
            continue
        if order.get("status") not in PAID_STATUSES:
            notes.append(f"{record}: status {order.get('status')}, not booked")
            continue
        lines += p.order_lines(order)
        payments.append(p.order_payment(order))
    for order in refund_orders:
        by_id.setdefault(str(order.get("id")), order)
    for oid, order_refunds in refunds.items():
        order = by_id.get(oid)
        if order is None:
            raise p.ctx.error("refunds given for an order that was not fetched", f"order {oid}", "refunds")
        for refund in order_refunds:
            record = f"order {order.get('number') or oid} refund {refund.get('id')}"
            if start <= _gmt(refund.get("date_created_gmt"), p.ctx, record, "date_created_gmt") < end:
                rows, payment = p.refund_lines(order, refund)
                lines += rows
                payments.append(payment)
    return SourceDay(sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
                     payments=make_frame(payments, PAYMENT_COLUMNS), notes=notes)


def tax_rate_ids(obj: dict) -> set[str]:
    """The tax rate ids an order or a refund refers to (to resolve with ``GET /taxes/{id}``)."""
    ids = set()
    for key in ("line_items", "shipping_lines", "fee_lines"):
        for line in obj.get(key) or []:
            ids |= {str(t.get("id")) for t in line.get("taxes") or []}
    return ids
