"""WooCommerce edges: amount-only refunds, unknown / deleted tax rates, auth and paging errors.

The amount-only refund is the docs' "Create a refund" response example (``"amount": "10.00"``,
``"line_items": []``); errors are the WP REST error shape ``{"code", "message", "data": {"status"}}``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.errors import MappingError, SourceDataError
from emulators.server import serve
from emulators.woocommerce import WooState, create_app
from resources.sources.woocommerce.client import WooCommerceClient
from resources.sources.woocommerce.parser import parse_woocommerce_day, percent
from tests.harness import load_sibling

PARIS = ZoneInfo("Europe/Paris")
woo = load_sibling(__file__, "test_woocommerce_day.py", "woo_day")


def parse(orders, refunds=None, rates=None, refund_orders=()):
    return parse_woocommerce_day(
        orders, refunds or {}, start=datetime(2025, 6, 14, tzinfo=PARIS), end=datetime(2025, 6, 15, tzinfo=PARIS),
        rates={"1": "20", "2": "5.5"} if rates is None else rates, categories={}, tenant="epicerie",
        day="2025-06-14", refund_orders=refund_orders)


def earlier_order():
    return woo.wc_order(700, "completed", "2025-06-01T08:00:00", "2025-06-01T10:00:00", total="42.00", line_items=[
        woo.item(1, 20, "Livre", "LIV-1", 2, "28.44", "1.56", "28.44", "1.56", 2, 15),
        woo.item(2, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 1, 12),
    ], refunds=[{"id": 726, "reason": "", "total": "-10.00"}])


def test_an_amount_only_refund_is_spread_over_the_order_rates():
    refund = {"id": 726, "date_created": "2025-06-14T17:07:11", "date_created_gmt": "2025-06-14T15:07:11",
              "amount": "10.00", "reason": "", "refunded_by": 1, "refunded_payment": False, "meta_data": [],
              "line_items": []}
    day = parse([], {"700": [refund]}, refund_orders=[earlier_order()])
    got = day.sales_lines[["line_id", "vat_rate", "net_cents", "vat_cents", "gross_cents", "is_refund"]]
    # 10.00 over 30.00 @5.5 % and 12.00 @20 %: 7.14 and 2.86, VAT inside each.
    assert got.to_dict("records") == [
        {"line_id": "refund:726:amount:20", "vat_rate": "20", "net_cents": -238, "vat_cents": -48,
         "gross_cents": -286, "is_refund": True},
        {"line_id": "refund:726:amount:5.5", "vat_rate": "5.5", "net_cents": -677, "vat_cents": -37,
         "gross_cents": -714, "is_refund": True},
    ]
    assert day.payments[["payment_id", "method", "amount_cents"]].to_dict("records") == [
        {"payment_id": "refund:726", "method": "stripe", "amount_cents": -1000}]


def test_an_unknown_tax_rate_names_the_order_and_the_field():
    order = woo.wc_order(800, "processing", "2025-06-14T10:00:00", "2025-06-14T12:00:00", total="12.00",
                         line_items=[woo.item(1, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 9, 12)])
    with pytest.raises(SourceDataError) as err:
        parse([order])
    assert str(err.value) == ("[source] tenant epicerie, day 2025-06-14, record order 800, field "
                              "line_items[0].taxes[0].id: tax rate id 9 is unknown (not in /taxes nor in tax_lines)")


def test_a_deleted_tax_rate_falls_back_to_the_orders_rate_percent():
    order = woo.wc_order(801, "processing", "2025-06-14T10:00:00", "2025-06-14T12:00:00", total="12.00",
                         line_items=[woo.item(1, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 9, 12)])
    order["tax_lines"] = [{"id": 91, "rate_code": "FR-TVA-1", "rate_id": 9, "label": "TVA", "compound": False,
                           "tax_total": "2.00", "shipping_tax_total": "0.00", "rate_percent": 20, "meta_data": []}]
    day = parse([order], rates={})
    assert day.sales_lines[["vat_rate", "net_cents", "vat_cents"]].to_dict("records") == [
        {"vat_rate": "20", "net_cents": 1000, "vat_cents": 200}]


def test_rates_are_read_as_percent_even_below_one():
    assert [percent(r) for r in ("20.0000", "5.5000", "2.1000", "0.5000", "0.0000")] == ["20", "5.5", "2.1", "0.5", "0"]


def test_wrong_consumer_secret_is_a_mapping_error():
    with serve(create_app(WooState(consumer_key="ck", consumer_secret="cs"))) as srv:
        client = WooCommerceClient(srv.url, "ck", "nope", tenant="epicerie")
        try:
            with pytest.raises(MappingError) as err:
                client.orders(after="2025-06-13T22:00:00")
        finally:
            client.close()
    assert str(err.value) == ("[mapping] tenant epicerie: WooCommerce GET /wp-json/wc/v3/orders: HTTP 401 "
                              "(woocommerce_rest_authentication_error: Consumer secret is invalid.); check the "
                              "consumer key and secret and their read permission")


def test_emulator_paging_headers_and_limits():
    state = WooState(consumer_key="ck", consumer_secret="cs", taxes=[], orders=[
        woo.wc_order(i, "completed", f"2025-06-14T10:00:0{i}", f"2025-06-14T12:00:0{i}") for i in range(1, 4)])
    with serve(create_app(state)) as srv:
        url = srv.url + "/wp-json/wc/v3/orders"
        ok = httpx.get(url, params={"per_page": 2, "page": 1, "order": "asc"}, auth=("ck", "cs"))
        too_big = httpx.get(url, params={"per_page": 101}, auth=("ck", "cs"))
        past_end = httpx.get(url, params={"per_page": 2, "page": 3}, auth=("ck", "cs"))
        no_auth = httpx.get(url)
    assert [o["id"] for o in ok.json()] == [1, 2]
    assert (ok.headers["x-wp-total"], ok.headers["x-wp-totalpages"]) == ("3", "2")
    assert 'page=2>; rel="next"' in ok.headers["link"]
    assert too_big.status_code == 400 and too_big.json()["code"] == "rest_invalid_param"
    assert past_end.status_code == 400 and past_end.json()["code"] == "rest_post_invalid_page_number"
    assert no_auth.status_code == 401 and no_auth.json() == {
        "code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}}
