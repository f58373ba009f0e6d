"""Shopify parser edges: refund adjustments, the autumn DST day, bad data, pacing and auth.

Shapes: ``order_adjustments`` as in Shopify's REST Refund reference example (``"kind":
"shipping_refund"``, ``"amount": "-5.00"``, ``"tax_amount": "0.00"``, with ``amount_set`` /
``tax_amount_set``); ``X-Shopify-Shop-Api-Call-Limit: 32/40`` as in Shopify's REST rate-limit page.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.errors import MappingError, SourceDataError
from emulators.server import serve
from emulators.shopify import ShopifyState, create_app
from resources.sources.common import prorate
from resources.sources.shopify.client import CallLimitPacer, ShopifyClient
from resources.sources.shopify.parser import parse_shopify_day
from tests.harness import load_sibling

PARIS = ZoneInfo("Europe/Paris")

day_mod = load_sibling(__file__, "test_shopify_day.py", "shopify_day")
money, order, line_item, tax_line, tender = (day_mod.money, day_mod.order, day_mod.line_item,
                                             day_mod.tax_line, day_mod.tender)


def parse(orders, tenders=(), start=datetime(2025, 3, 30, tzinfo=PARIS), end=datetime(2025, 3, 31, tzinfo=PARIS),
          refund_orders=()):
    return parse_shopify_day(orders, tenders, start=start, end=end, categories={}, tenant="boutique",
                             day=start.date().isoformat(), refund_orders=refund_orders)


def test_refund_adjustments_book_shipping_at_its_rate_and_spread_a_discrepancy_over_rates():
    refund = {
        "id": 77, "order_id": 1, "created_at": "2025-03-30T12:00:00+02:00",
        "processed_at": "2025-03-30T12:00:00+02:00", "refund_line_items": [],
        "order_adjustments": [
            {"id": 1, "order_id": 1, "refund_id": 77, "amount": "-5.00", "tax_amount": "-1.00",
             "kind": "shipping_refund", "reason": "Shipping refund", "amount_set": money("-5.00"),
             "tax_amount_set": money("-1.00")},
            {"id": 2, "order_id": 1, "refund_id": 77, "amount": "-10.00", "tax_amount": "0.00",
             "kind": "refund_discrepancy", "reason": "Refund discrepancy", "amount_set": money("-10.00"),
             "tax_amount_set": money("0.00")},
        ],
    }
    earlier = order(1, "2025-03-20T10:00:00+01:00", [
        line_item(11, 5, "A", "A", 1, "30.00", [tax_line(0.2, "5.00")]),
        line_item(12, 6, "B", "B", 1, "10.00", [tax_line(0.055, "0.52")]),
    ], shipping_lines=[{"id": 3, "price": "6.00", "price_set": money("6.00"),
                        "tax_lines": [tax_line(0.2, "1.00")], "discount_allocations": []}], refunds=[refund])
    day = parse([], refund_orders=[earlier])
    got = day.sales_lines[["line_id", "kind", "vat_rate", "net_cents", "vat_cents", "gross_cents", "is_refund"]]
    assert got.to_dict("records") == [
        {"line_id": "refund:77:adjustment:1", "kind": "shipping", "vat_rate": "20", "net_cents": -500,
         "vat_cents": -100, "gross_cents": -600, "is_refund": True},
        # 10.00 over 30.00 @20% and 10.00 @5.5%: 7.50 and 2.50, VAT inside each.
        {"line_id": "refund:77:adjustment:2:20", "kind": "item", "vat_rate": "20", "net_cents": -625,
         "vat_cents": -125, "gross_cents": -750, "is_refund": True},
        {"line_id": "refund:77:adjustment:2:5.5", "kind": "item", "vat_rate": "5.5", "net_cents": -237,
         "vat_cents": -13, "gross_cents": -250, "is_refund": True},
    ]


def test_prorate_is_exact():
    assert prorate(-1000, {"20": 1, "10": 1, "5.5": 1}) == {"20": -334, "10": -333, "5.5": -333}
    assert sum(prorate(99999, {"a": 3, "b": 7, "c": 11}).values()) == 99999


@pytest.mark.parametrize(("processed_at", "booked"), [
    ("2025-10-25T23:30:00+02:00", False),  # 23:30 local the evening before
    ("2025-10-26T00:30:00+02:00", True),   # 00:30 local, still CEST
    ("2025-10-26T02:30:00+02:00", True),   # the first 02:30 …
    ("2025-10-26T02:30:00+01:00", True),   # … and the second one, after clocks went back
    ("2025-10-26T23:30:00+01:00", True),   # 23:30 local, CET
    ("2025-10-27T00:30:00+01:00", False),  # 00:30 local the morning after
])
def test_the_autumn_dst_day_has_25_hours(processed_at, booked):
    o = order(1, processed_at, [line_item(11, 5, "A", "A", 1, "12.00", [tax_line(0.2, "2.00")])])
    day = parse([o], start=datetime(2025, 10, 26, tzinfo=PARIS), end=datetime(2025, 10, 27, tzinfo=PARIS))
    assert len(day.sales_lines) == (1 if booked else 0)


def test_bad_amount_names_tenant_day_order_and_field():
    o = order(1002, "2025-03-30T10:00:00+02:00", [line_item(11, 5, "A", "A", 1, "12.00", [tax_line(0.2, "2.00")])])
    o["line_items"][0]["price_set"]["shop_money"]["amount"] = "12.005"
    with pytest.raises(SourceDataError) as err:
        parse([o])
    assert str(err.value) == ("[source] tenant boutique, day 2025-03-30, record order #1002, "
                              "field price_set.shop_money.amount: amount '12.005' has more than 2 decimals")


def test_two_tax_rates_on_one_line_is_a_source_error():
    o = order(7, "2025-03-30T10:00:00+02:00",
              [line_item(11, 5, "A", "A", 1, "12.00", [tax_line(0.2, "2.00"), tax_line(0.055, "0.10")])])
    with pytest.raises(SourceDataError, match=r"record order #7, field line_items\[0\].tax_lines: more than one"):
        parse([o])


def test_test_orders_and_test_transactions_are_skipped():
    o = order(8, "2025-03-30T10:00:00+02:00", [line_item(11, 5, "A", "A", 1, "12.00", [tax_line(0.2, "2.00")])])
    o["test"] = True
    t = tender(1, 8, "12.00", "2025-03-30T10:00:00+02:00", "credit_card")
    t["test"] = True
    day = parse([o], [t])
    assert len(day.sales_lines) == 0 and len(day.payments) == 0
    assert day.notes == ["order #8: test order skipped"]


def test_pacer_waits_when_the_bucket_is_nearly_full():
    slept = []
    pacer = CallLimitPacer(leak_rate=2.0, headroom=4, sleep=slept.append)
    pacer.observe(httpx.Response(200, headers={"X-Shopify-Shop-Api-Call-Limit": "39/40"}))
    pacer.before()
    assert len(slept) == 1 and 1.4 < slept[0] <= 1.5  # 3 requests over the headroom at 2 per second
    pacer.observe(httpx.Response(200, headers={"X-Shopify-Shop-Api-Call-Limit": "10/40"}))
    pacer.before()
    assert len(slept) == 1


def test_emulator_bucket_fills_and_client_paces_without_429():
    state = ShopifyState(token="t", bucket_size=6, leak_rate=20.0, retry_after="0.05",
                         tender_transactions=[tender(i, 1, "1.00", "2025-03-30T10:00:00+02:00", "cash")
                                              for i in range(1, 13)])
    with serve(create_app(state)) as srv:
        client = ShopifyClient(srv.url, "t", leak_rate=20.0)
        client.page_limit = 1
        try:
            got = client.tender_transactions(processed_at_min="2025-03-30T00:00:00+02:00")
        finally:
            client.close()
    assert [t["id"] for t in got] == list(range(1, 13))
    assert client.pacer.waited > 0 and client.retries == []


def test_wrong_token_is_a_mapping_error():
    with serve(create_app(ShopifyState(token="right"))) as srv:
        client = ShopifyClient(srv.url, "wrong", tenant="boutique")
        try:
            with pytest.raises(MappingError) as err:
                client.shop()
        finally:
            client.close()
    assert "[mapping] tenant boutique: Shopify GET /admin/api/2025-10/shop.json: HTTP 401" in str(err.value)
    assert "Invalid API key or access token" in str(err.value)


def test_page_info_cannot_be_combined_with_filters():
    state = ShopifyState(token="t", tender_transactions=[tender(i, 1, "1.00", "2025-03-30T10:00:00+02:00", "cash")
                                                         for i in (1, 2)])
    with serve(create_app(state)) as srv:
        first = httpx.get(srv.url + "/admin/api/2025-10/tender_transactions.json", params={"limit": 1},
                          headers={"X-Shopify-Access-Token": "t"})
        nxt = first.links["next"]["url"]
        bad = httpx.get(nxt + "&processed_at_min=2025-03-30", headers={"X-Shopify-Access-Token": "t"})
    assert bad.status_code == 400
    assert bad.json() == {"errors": {"page_info": [
        "page_info cannot be combined with other parameters: processed_at_min"]}}
