"""A Shopify order voided after it was read (issue 9 point 11, parser side): a re-read of its day
must no longer book it. Shapes: Shopify REST Order (``financial_status`` ``authorized`` /
``voided``, ``cancelled_at``, ``cancel_reason``)."""

from __future__ import annotations

from datetime import datetime

from emulators.shopify import void_order
from resources.sources.shopify.parser import parse_shopify_day
from tests.harness import load_sibling

day_mod = load_sibling(__file__, "test_shopify_day.py", "shopify_day_void")
PARIS, order, line_item, tax_line, tender = (day_mod.PARIS, day_mod.order, day_mod.line_item, day_mod.tax_line,
                                             day_mod.tender)
AT = "2025-03-30T11:00:00+02:00"


def parse(orders, tenders=()):
    return parse_shopify_day(orders, tenders, start=datetime(2025, 3, 30, tzinfo=PARIS),
                             end=datetime(2025, 3, 31, tzinfo=PARIS), categories={}, tenant="boutique",
                             day="2025-03-30")


def test_an_authorised_order_read_then_voided_is_no_longer_booked_on_a_re_read():
    authorised = order(1, AT, [line_item(11, 5, "MUG", "Mug", 1, "12.00", [tax_line(0.2, "2.00")])])
    authorised["financial_status"] = "authorized"
    first = parse([authorised])
    assert first.sales_lines[["order_id", "net_cents", "vat_cents"]].to_dict("records") == [
        {"order_id": "1", "net_cents": 1000, "vat_cents": 200}]
    again = parse([void_order(authorised, "2025-04-02T09:00:00+02:00")])
    assert again.sales_lines.empty and again.payments.empty
    assert "order #1: financial_status voided, no money moved, skipped" in again.notes


def test_an_order_cancelled_and_refunded_the_same_day_nets_to_zero_on_a_re_read():
    sold = order(2, AT, [line_item(21, 5, "MUG", "Mug", 1, "12.00", [tax_line(0.2, "2.00")])])
    mug = sold["line_items"][0]
    sold.update({"financial_status": "refunded", "cancelled_at": "2025-03-30T15:00:00+02:00",
                 "cancel_reason": "customer", "refunds": [{
                     "id": 5, "order_id": 2, "created_at": "2025-03-30T15:00:00+02:00",
                     "processed_at": "2025-03-30T15:00:00+02:00", "order_adjustments": [],
                     "refund_line_items": [{"id": 6, "line_item_id": 21, "quantity": 1, "subtotal": "12.00",
                                            "total_tax": "2.00", "line_item": mug}]}]})
    day = parse([sold], [tender(1, 2, "12.00", AT, "credit_card"),
                         tender(2, 2, "-12.00", "2025-03-30T15:00:00+02:00", "credit_card")])
    assert day.sales_lines[["line_id", "net_cents", "vat_cents", "gross_cents", "is_refund"]].to_dict("records") == [
        {"line_id": "21", "net_cents": 1000, "vat_cents": 200, "gross_cents": 1200, "is_refund": False},
        {"line_id": "refund:5:6", "net_cents": -1000, "vat_cents": -200, "gross_cents": -1200, "is_refund": True}]
    assert int(day.payments["amount_cents"].sum()) == 0
