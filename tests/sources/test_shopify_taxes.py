"""Shopify taxes given only on the order (issue 9 point 4), each case computed by hand.

Shopify's Order resource gives ``tax_lines`` on every line item and shipping line, and on the order
their aggregation per rate, with ``total_tax`` (shopify.dev …/resources/order: "tax_lines: an array
of tax line objects, each of which details a tax applicable to the order"; line items carry their
own). Orders created by some apps and imports carry the taxes on the order only: they used to be
read as 0 % and post revenue without VAT.
"""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest

from core.errors import SourceDataError
from core.periods import SalesPeriod
from emulators.generator import expected_frames, generate_day
from emulators.server import serve
from emulators.shopify import ShopifyState, create_app, state_from_simday
from resources.sources.shopify.parser import parse_shopify_day
from resources.sources.shopify.source import ShopifySource
from tests.harness import load_sibling

day_mod = load_sibling(__file__, "test_shopify_day.py", "shopify_day_taxes")
PARIS, money, order, line_item, tax_line, tender, make_tenant = (
    day_mod.PARIS, day_mod.money, day_mod.order, day_mod.line_item, day_mod.tax_line, day_mod.tender,
    day_mod.make_tenant)
START, END = datetime(2025, 3, 30, tzinfo=PARIS), datetime(2025, 3, 31, tzinfo=PARIS)
AT = "2025-03-30T11:00:00+02:00"


def order_level(id_, items, taxes, total_tax, shipping_lines=()):
    """An order whose lines carry no ``tax_lines``; the taxes sit on the order."""
    o = order(id_, AT, items, shipping_lines=shipping_lines)
    o.update({"tax_lines": taxes, "total_tax": total_tax, "total_tax_set": money(total_tax)})
    return o


def parse(orders, tenders=()):
    return parse_shopify_day(orders, tenders, start=START, end=END, categories={}, tenant="boutique",
                             day="2025-03-30")


def vat_view(day):
    return day.sales_lines[["line_id", "kind", "vat_rate", "net_cents", "vat_cents", "gross_cents"]].to_dict("records")


def test_an_order_level_tax_is_spread_over_the_taxable_lines_at_its_rate():
    # Taxes included. Mug 12.00 and lamp 30.00, no tax on the lines; the order says 20 %: 7.00.
    # 20 % inside 12.00 is 2.00 and inside 30.00 is 5.00: 7.00, as the order says. Split of 700
    # over 1200 : 3000 → 200 and 500.
    o = order_level(1, [line_item(11, 5, "MUG", "Mug", 1, "12.00", []),
                        line_item(12, 6, "LAMP", "Lampe", 1, "30.00", [])],
                    [tax_line(0.2, "7.00")], "7.00")
    assert vat_view(parse([o])) == [
        {"line_id": "11", "kind": "item", "vat_rate": "20", "net_cents": 1000, "vat_cents": 200, "gross_cents": 1200},
        {"line_id": "12", "kind": "item", "vat_rate": "20", "net_cents": 2500, "vat_cents": 500, "gross_cents": 3000},
    ]


def test_order_level_tax_includes_shipping_when_the_shop_taxes_it_and_skips_untaxable_lines():
    # Taxes included. Book 21.10 at 5.5 % → 1.10; shipping 6.00 → 0.31; gift card 50.00 never taxed.
    # The order says 1.41 at 5.5 %: 1.10 + 0.31 = 1.41, so shipping bears tax. Split of 141 over
    # 2110 : 600 → 109.78 / 31.22 → floors 109 / 31, one cent left to the larger remainder (109.78) → 110 / 31.
    o = order_level(2, [line_item(21, 7, "BOOK", "Livre", 1, "21.10", []),
                        line_item(22, 8, "GC", "Carte cadeau", 1, "50.00", [], gift_card=True)],
                    [tax_line(0.055, "1.41")], "1.41",
                    shipping_lines=[{"id": 9, "price": "6.00", "price_set": money("6.00"), "tax_lines": [],
                                     "discount_allocations": []}])
    assert vat_view(parse([o])) == [
        {"line_id": "21", "kind": "item", "vat_rate": "5.5", "net_cents": 2000, "vat_cents": 110, "gross_cents": 2110},
        {"line_id": "22", "kind": "gift_card", "vat_rate": "0", "net_cents": 5000, "vat_cents": 0, "gross_cents": 5000},
        {"line_id": "shipping:9", "kind": "shipping", "vat_rate": "5.5", "net_cents": 569, "vat_cents": 31,
         "gross_cents": 600},
    ]


def test_order_level_taxes_at_two_rates_cannot_be_allocated_and_fail():
    o = order_level(3, [line_item(31, 5, "MUG", "Mug", 1, "12.00", []),
                        line_item(32, 7, "BOOK", "Livre", 1, "21.10", [])],
                    [tax_line(0.2, "2.00"), tax_line(0.055, "1.10")], "3.10")
    with pytest.raises(SourceDataError) as err:
        parse([o])
    assert err.value.record == "order #3" and err.value.field_name == "tax_lines"
    assert "at 2 rates (20, 5.5)" in str(err.value)


def test_an_order_level_tax_that_matches_no_line_set_fails():
    # 20 % inside 12.00 is 2.00; the order claims 3.00.
    o = order_level(4, [line_item(41, 5, "MUG", "Mug", 1, "12.00", [])], [tax_line(0.2, "3.00")], "3.00")
    with pytest.raises(SourceDataError, match=r"order-level tax 300 cents at 20 % matches neither"):
        parse([o])


def test_line_vat_that_disagrees_with_the_orders_total_tax_fails_naming_both():
    o = order(5, AT, [line_item(51, 5, "MUG", "Mug", 1, "12.00", [tax_line(0.2, "2.00")])])
    o.update({"total_tax": "2.50", "total_tax_set": money("2.50")})
    with pytest.raises(SourceDataError) as err:
        parse([o])
    assert err.value.record == "order #5" and err.value.field_name == "total_tax"
    assert "the VAT of the order's lines is 200 cents, its total_tax 250 cents" in str(err.value)


def test_a_french_day_fetched_without_any_vat_is_refused_and_with_order_level_tax_is_booked(monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    o = order_level(6, [line_item(61, 5, "MUG", "Mug", 2, "12.00", [])], [tax_line(0.2, "4.00")], "4.00")
    untaxed = copy.deepcopy(o)
    for key in ("tax_lines", "total_tax", "total_tax_set"):  # a source that lost its taxes altogether
        del untaxed[key]
    for orders, expect_vat in (([o], 400), ([untaxed], None)):
        state = ShopifyState(orders=orders, tender_transactions=[tender(1, 6, "24.00", AT, "cash")],
                             products=[{"id": 5, "title": "Mug", "product_type": "Vaisselle"}], token="shpat_secret")
        with serve(create_app(state)) as srv:
            tenant = make_tenant(srv.url)
            source = ShopifySource(tenant)
            try:
                if expect_vat is None:
                    with pytest.raises(SourceDataError, match=r"1 sales lines worth 2400 cents carry no VAT at all"):
                        source.fetch(SalesPeriod(tenant, date(2025, 3, 30), date(2025, 3, 31)))
                else:
                    day = source.fetch(SalesPeriod(tenant, date(2025, 3, 30), date(2025, 3, 31)))
                    assert day.sales_lines["vat_cents"].tolist() == [expect_vat]
                    assert day.sales_lines["net_cents"].tolist() == [2000]
            finally:
                source.close()


def _fetch_generated(state):
    with serve(create_app(state)) as srv:
        tenant = make_tenant(srv.url)
        source = ShopifySource(tenant, clock=lambda: datetime(2025, 4, 2, tzinfo=PARIS))
        try:
            return source.fetch(SalesPeriod(tenant, date(2025, 3, 30), date(2025, 3, 31)))
        finally:
            source.close()


def test_a_generated_shop_day_reads_the_vat_per_rate_of_the_simulation_and_checks_total_tax(monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_test")
    simday = generate_day("shop", date(2025, 3, 30), seed=3, n_orders=12)
    state = state_from_simday(simday)
    assert all("total_tax" in o for o in state.orders)
    got = _fetch_generated(state).sales_lines.groupby("vat_rate")[["net_cents", "vat_cents"]].sum()
    want = expected_frames(simday).sales_lines.groupby("vat_rate")[["net_cents", "vat_cents"]].sum()
    assert got.to_dict() == want.to_dict() and int(got["vat_cents"].sum()) > 0


def test_a_generated_day_with_multi_rate_orders_taxed_only_on_the_order_fails_naming_the_order(monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_test")
    simday = generate_day("shop", date(2025, 3, 30), seed=3, n_orders=12)
    state = state_from_simday(simday, order_level_tax=True)
    assert all(not li["tax_lines"] for o in state.orders for li in o["line_items"])
    multi = [o for o in state.orders if len(o["tax_lines"]) > 1]
    assert multi, "the generated day has an order with two rates"
    with pytest.raises(SourceDataError) as err:
        _fetch_generated(state)
    assert err.value.field_name == "tax_lines" and err.value.record.startswith("order #")
    assert "taxes are given only at order level, at 2 rates" in str(err.value)
