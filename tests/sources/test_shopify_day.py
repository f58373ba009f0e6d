"""Shopify: one hand-computed business day, parsed from payloads and fetched from the emulator.

The day is 2025-03-30 in Europe/Paris, the spring DST change (a 23-hour day), with orders at
23:30 local the evening before and 00:30 local the morning after, which belong to other days.

Payload shapes follow Shopify's REST reference examples for the 2025-10 Order, Refund and
TenderTransaction resources (shopify.dev/docs/api/admin-rest/2025-10/resources/order, …/refund,
…/tender-transaction; also Shopify/shopify_python_api test/fixtures/order.json): money as decimal
strings with ``*_set.shop_money`` / ``presentment_money``, ``tax_lines[].rate`` as a fraction,
``discount_allocations[].amount_set``, ``refund_line_items[].subtotal_set`` / ``total_tax_set``
with the refunded ``line_item`` embedded, tender transaction ``amount`` negative for refunds.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core.periods import SalesPeriod
from emulators.server import serve
from emulators.shopify import ShopifyState, create_app
from resources.sources.shopify.parser import parse_shopify_day
from resources.sources.shopify.source import ShopifySource
from resources.tenants import TenantConfig

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2025, 3, 30)


def money(amount: str) -> dict:
    return {"shop_money": {"amount": amount, "currency_code": "EUR"},
            "presentment_money": {"amount": amount, "currency_code": "EUR"}}


def tax_line(rate: float, price: str) -> dict:
    return {"price": price, "rate": rate, "title": "TVA", "price_set": money(price), "channel_liable": False}


def line_item(id_, product_id, sku, title, qty, price, tax_lines, discount=None, gift_card=False) -> dict:
    return {
        "id": id_, "admin_graphql_api_id": f"gid://shopify/LineItem/{id_}", "fulfillable_quantity": qty,
        "fulfillment_service": "manual", "fulfillment_status": None, "gift_card": gift_card, "grams": 200,
        "name": title, "price": price, "price_set": money(price), "product_exists": True,
        "product_id": product_id, "properties": [], "quantity": qty, "requires_shipping": not gift_card,
        "sku": sku, "taxable": not gift_card, "title": title, "total_discount": "0.00",
        "total_discount_set": money("0.00"), "variant_id": product_id * 10, "variant_title": None,
        "vendor": "Demo", "tax_lines": tax_lines, "duties": [],
        "discount_allocations": ([{"amount": discount, "amount_set": money(discount),
                                   "discount_application_index": 0}] if discount else []),
    }


def order(id_, processed_at, line_items, *, shipping_lines=(), tip="0.00", refunds=(), country="FR") -> dict:
    return {
        "id": id_, "admin_graphql_api_id": f"gid://shopify/Order/{id_}", "name": f"#{id_}",
        "order_number": id_, "created_at": processed_at, "processed_at": processed_at,
        "updated_at": processed_at, "closed_at": None, "cancelled_at": None, "cancel_reason": None,
        "currency": "EUR", "presentment_currency": "EUR", "financial_status": "paid", "test": False,
        "taxes_included": True, "source_name": "web", "location_id": None,
        "total_tip_received": tip, "line_items": line_items, "shipping_lines": list(shipping_lines),
        "shipping_address": {"first_name": "Bob", "last_name": "Norman", "address1": "1 rue de la Paix",
                             "city": "Paris", "zip": "75002", "country": "France",
                             "country_code": country},
        "billing_address": {"country_code": country}, "refunds": list(refunds),
        "payment_gateway_names": ["shopify_payments"],
    }


def tender(id_, order_id, amount, processed_at, method) -> dict:
    return {"id": id_, "order_id": order_id, "amount": amount, "currency": "EUR", "user_id": None,
            "test": False, "processed_at": processed_at, "remote_reference": f"ref-{id_}",
            "payment_details": None, "payment_method": method}


MUG = line_item(2000, 70, "MUG-1", "Mug", 1, "12.00", [tax_line(0.2, "2.00")])


def shop_payloads() -> tuple[list[dict], list[dict], list[dict]]:
    """(orders, tender transactions, products) of a shop around 2025-03-30."""
    refund = {
        "id": 9001, "admin_graphql_api_id": "gid://shopify/Refund/9001", "order_id": 1001,
        "created_at": "2025-03-30T10:15:00+02:00", "processed_at": "2025-03-30T10:15:00+02:00",
        "note": "cassé", "restock": False, "user_id": 1,
        "refund_line_items": [{"id": 8001, "line_item_id": 2000, "location_id": None, "quantity": 1,
                               "restock_type": "no_restock", "subtotal": 12.0, "subtotal_set": money("12.00"),
                               "total_tax": 2.0, "total_tax_set": money("2.00"), "line_item": MUG}],
        "order_adjustments": [], "transactions": [], "duties": [],
    }
    orders = [
        # 23:30 local on the 29th: a sale of the 29th, refunded on the 30th.
        order(1001, "2025-03-29T23:30:00+01:00", [MUG], refunds=[refund]),
        # 00:30 local on the 30th (still CET, +01:00): books, tea with a 2.00 discount, shipping, a tip.
        order(1002, "2025-03-30T00:30:00+01:00", [
            line_item(2001, 71, "LIV-1", "Livre", 2, "15.00", [tax_line(0.055, "1.56")]),
            line_item(2002, 72, "THE-1", "Thé", 1, "12.00", [tax_line(0.2, "1.67")], discount="2.00"),
        ], shipping_lines=[{"id": 3001, "title": "Colissimo", "code": "colissimo", "price": "6.00",
                            "price_set": money("6.00"), "discounted_price": "6.00",
                            "discounted_price_set": money("6.00"), "source": "shopify",
                            "tax_lines": [tax_line(0.2, "1.00")], "discount_allocations": []}],
              tip="3.00"),
        # 23:30 local on the 30th (CEST, +02:00): a gift card sold, and a notebook paid by gift card.
        order(1003, "2025-03-30T23:30:00+02:00", [
            line_item(2003, 73, "GC-50", "Carte cadeau 50 €", 1, "50.00", [], gift_card=True),
            line_item(2004, 74, "CAR-1", "Carnet", 1, "8.00", [tax_line(0.2, "1.33")]),
        ]),
        # 00:30 local on the 31st: the next day.
        order(1004, "2025-03-31T00:30:00+02:00", [
            line_item(2005, 74, "CAR-1", "Carnet", 1, "8.00", [tax_line(0.2, "1.33")])]),
    ]
    tenders = [
        tender(5001, 1001, "12.00", "2025-03-29T23:30:05+01:00", "credit_card"),
        tender(5002, 1002, "49.00", "2025-03-30T00:30:05+01:00", "credit_card"),
        tender(5005, 1001, "-12.00", "2025-03-30T10:15:00+02:00", "credit_card"),
        tender(5003, 1003, "50.00", "2025-03-30T23:30:05+02:00", "credit_card"),
        tender(5004, 1003, "8.00", "2025-03-30T23:30:06+02:00", "gift_card"),
        tender(5006, 1004, "8.00", "2025-03-31T00:30:05+02:00", "cash"),
    ]
    products = [
        {"id": 70, "title": "Mug", "product_type": "Vaisselle"},
        {"id": 71, "title": "Livre", "product_type": "Livres"},
        {"id": 72, "title": "Thé", "product_type": "Épicerie"},
        {"id": 73, "title": "Carte cadeau", "product_type": "Cartes cadeaux"},
        {"id": 74, "title": "Carnet", "product_type": "Papeterie"},
    ]
    return orders, tenders, products


def line(order_id, line_id, kind, product_id, sku, category, qty, net, rate, vat, gross, refund=False):
    return {"order_id": order_id, "line_id": line_id, "location": "", "kind": kind,
            "product_id": product_id, "sku": sku, "category": category, "quantity": qty,
            "net_cents": net, "vat_rate": rate, "vat_cents": vat, "gross_cents": gross, "country": "FR",
            "is_refund": refund, "currency": "EUR", "buyer_vat_id": ""}


EXPECTED_LINES = [
    line("1002", "2001", "item", "71", "LIV-1", "Livres", 2.0, 2844, "5.5", 156, 3000),
    line("1002", "2002", "item", "72", "THE-1", "Épicerie", 1.0, 1000, "20", 200, 1200),
    line("1002", "2002:discount", "discount", "72", "THE-1", "Épicerie", 0.0, -167, "20", -33, -200),
    line("1002", "shipping:3001", "shipping", "", "", "", 1.0, 500, "20", 100, 600),
    line("1003", "2003", "gift_card", "73", "GC-50", "", 1.0, 5000, "0", 0, 5000),
    line("1003", "2004", "item", "74", "CAR-1", "Papeterie", 1.0, 667, "20", 133, 800),
    line("1001", "refund:9001:8001", "item", "70", "MUG-1", "Vaisselle", -1.0, -1000, "20", -200, -1200, True),
]
EXPECTED_PAYMENTS = [
    {"order_id": "1002", "payment_id": "5002", "location": "", "method": "credit_card", "amount_cents": 4900,
     "tip_cents": 300, "is_refund": False, "currency": "EUR"},
    {"order_id": "1001", "payment_id": "5005", "location": "", "method": "credit_card", "amount_cents": -1200,
     "tip_cents": 0, "is_refund": True, "currency": "EUR"},
    {"order_id": "1003", "payment_id": "5003", "location": "", "method": "credit_card", "amount_cents": 5000,
     "tip_cents": 0, "is_refund": False, "currency": "EUR"},
    {"order_id": "1003", "payment_id": "5004", "location": "", "method": "gift_card", "amount_cents": 800,
     "tip_cents": 0, "is_refund": False, "currency": "EUR"},
]


def records(df: pd.DataFrame) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in df.to_dict("records")]


def assert_expected_day(day) -> None:
    assert sorted(records(day.sales_lines), key=lambda r: (r["is_refund"], r["order_id"], r["line_id"])) == \
        sorted(EXPECTED_LINES, key=lambda r: (r["is_refund"], r["order_id"], r["line_id"]))
    assert sorted(records(day.payments), key=lambda r: r["payment_id"]) == \
        sorted(EXPECTED_PAYMENTS, key=lambda r: r["payment_id"])
    assert (day.sales_lines["gross_cents"] == day.sales_lines["net_cents"] + day.sales_lines["vat_cents"]).all()
    # The day balances: money taken = goods + gift cards sold − refund, plus the tip.
    assert day.payments["amount_cents"].sum() == day.sales_lines["gross_cents"].sum() + 300 == 9500


def test_parser_books_the_dst_day_exactly():
    orders, tenders, products = shop_payloads()
    start = datetime(2025, 3, 30, tzinfo=PARIS)
    end = datetime(2025, 3, 31, tzinfo=PARIS)
    assert (end.astimezone(ZoneInfo("UTC")) - start).total_seconds() == 23 * 3600  # the spring-forward day
    categories = {str(p["id"]): p["product_type"] for p in products}
    day = parse_shopify_day(orders, tenders, start=start, end=end, categories=categories,
                            tenant="boutique", day="2025-03-30")
    assert_expected_day(day)


def make_tenant(url: str, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "boutique", "name": "Boutique", "siret": "73282932000074", "timezone": "Europe/Paris",
        "start_date": "2025-01-01",
        "source": {"type": "shopify", "base_url": url, "credentials": {"access_token": "SHOPIFY_TOKEN_TEST"},
                   "settings": settings},
        "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST"},
    })


@pytest.fixture
def shop_state():
    orders, tenders, products = shop_payloads()
    return ShopifyState(orders=copy.deepcopy(orders), tender_transactions=tenders, products=products,
                        token="shpat_secret", retry_after="0.05", bucket_size=40, leak_rate=50.0)


def test_source_fetches_the_day_over_http_with_paging_and_a_429(shop_state, monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    shop_state.force_429 = {3}
    with serve(create_app(shop_state)) as srv:
        source = ShopifySource(make_tenant(srv.url, page_limit=1))
        try:
            day = source.fetch(SalesPeriod(make_tenant(srv.url), DAY, date(2025, 3, 31)))
        finally:
            source.close()
    assert day.complete
    assert_expected_day(day)
    paths = [p for p, _ in shop_state.requests]
    # 1 shop + 3 order pages (+1 empty-cursor-free end) + 4 tender pages + 1 earlier order + products
    assert paths.count("/admin/api/2025-10/shop.json") == 1
    assert paths.count("/admin/api/2025-10/products.json") == 5  # 5 products, 1 per page, one run
    orders_q = [q for p, q in shop_state.requests if p.endswith("/orders.json")]
    assert orders_q[0] == {"status": "any", "processed_at_min": "2025-03-30T00:00:00+01:00",
                           "processed_at_max": "2025-03-30T23:59:59+02:00", "limit": "1"}
    assert all(set(q) == {"limit", "page_info"} for q in orders_q[1:3])  # cursor pages carry no filters
    assert {"ids": "1001", "status": "any", "limit": "1"} in orders_q
    assert [r.split(",")[0] for r in source.client.retries] == [  # the forced 429 was absorbed
        "Shopify GET /admin/api/2025-10/orders.json: HTTP 429"]


def test_a_day_not_over_yet_is_waiting(shop_state, monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    with serve(create_app(shop_state)) as srv:
        tenant = make_tenant(srv.url)
        source = ShopifySource(tenant, clock=lambda: datetime(2025, 3, 30, 22, 5, tzinfo=ZoneInfo("UTC")))
        try:
            day = source.fetch(SalesPeriod(tenant, DAY, date(2025, 3, 31)))
        finally:
            source.close()
    assert not day.complete
    assert day.waiting_reason == "the shop's day ends at 2025-03-31T00:00:00+02:00; final 0:15:00 later"
    assert [p for p, _ in shop_state.requests] == ["/admin/api/2025-10/shop.json"]
