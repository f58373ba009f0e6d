"""WooCommerce: one hand-computed business day, parsed from payloads and fetched from the emulator.

Payload shapes are those of the WooCommerce REST v3 docs (``vendor-docs/woocommerce-wc-v3-orders.md``
"Retrieve an order" JSON example: ``line_items[].subtotal/subtotal_tax/total/total_tax`` as
strings, ``taxes[{id, total, subtotal}]`` where ``id`` is the tax rate id, ``shipping_lines``,
``fee_lines``, ``coupon_lines``, ``refunds[{id, reason, total}]``, ``date_created`` /
``date_created_gmt`` without offset; ``…-order-refunds.md`` "List all refunds" example: negative
``line_items`` with ``_refunded_item_id`` meta and a positive ``amount``; ``…-taxes.md``
"Retrieve a tax rate": ``"rate": "4.0000"``; ``…-products.md``: ``categories[{id, name, slug}]``).

The day is 2025-06-14 in Europe/Paris: [2025-06-13T22:00Z, 2025-06-14T22:00Z).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core.periods import SalesPeriod
from emulators.server import serve
from emulators.woocommerce import WooState, create_app
from resources.sources.woocommerce.parser import parse_woocommerce_day
from resources.sources.woocommerce.source import WooCommerceSource
from resources.tenants import TenantConfig

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2025, 6, 14)


def tax(rate_id: int, total: str, subtotal: str | None = None) -> dict:
    return {"id": rate_id, "total": total, "subtotal": subtotal if subtotal is not None else total}


def item(id_, product_id, name, sku, qty, subtotal, subtotal_tax, total, total_tax, rate_id, price) -> dict:
    return {"id": id_, "name": name, "product_id": product_id, "variation_id": 0, "quantity": qty,
            "tax_class": "" if rate_id == 1 else "reduced-rate", "subtotal": subtotal,
            "subtotal_tax": subtotal_tax, "total": total, "total_tax": total_tax,
            "taxes": [tax(rate_id, total_tax, subtotal_tax)], "meta_data": [], "sku": sku, "price": price}


def wc_order(id_, status, created_gmt, created_local, *, line_items=(), shipping=(), fees=(), coupons=(),
             total="0.00", refunds=(), modified_gmt=None, method="stripe", country="FR") -> dict:
    modified_gmt = modified_gmt or created_gmt
    return {
        "id": id_, "parent_id": 0, "number": str(id_), "order_key": f"wc_order_{id_}", "created_via": "checkout",
        "version": "9.1.0", "status": status, "currency": "EUR",
        "date_created": created_local, "date_created_gmt": created_gmt,
        "date_modified": modified_gmt, "date_modified_gmt": modified_gmt,
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "0.00", "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": total, "total_tax": "0.00", "prices_include_tax": True, "customer_id": 0,
        "customer_ip_address": "", "customer_user_agent": "", "customer_note": "",
        "billing": {"first_name": "Léa", "last_name": "Martin", "company": "", "address_1": "3 rue Cler",
                    "address_2": "", "city": "Paris", "state": "", "postcode": "75007", "country": country,
                    "email": "lea@example.com", "phone": ""},
        "shipping": {"first_name": "Léa", "last_name": "Martin", "company": "", "address_1": "3 rue Cler",
                     "address_2": "", "city": "Paris", "state": "", "postcode": "75007", "country": country},
        "payment_method": method, "payment_method_title": "Carte bancaire" if method == "stripe" else "Virement",
        "transaction_id": f"ch_{id_}" if method == "stripe" else "", "date_paid": created_local,
        "date_paid_gmt": created_gmt, "date_completed": None, "date_completed_gmt": None, "cart_hash": "",
        "meta_data": [], "line_items": list(line_items),
        "tax_lines": [{"id": 90, "rate_code": "FR-TVA-1", "rate_id": 1, "label": "TVA", "compound": False,
                       "tax_total": "0.00", "shipping_tax_total": "0.00", "meta_data": []}],
        "shipping_lines": list(shipping), "fee_lines": list(fees), "coupon_lines": list(coupons),
        "refunds": list(refunds),
    }


def store_payloads():
    """(orders, refunds by order id, tax rates, products)."""
    mug = item(11, 10, "Mug", "MUG-1", 1, "20.00", "4.00", "20.00", "4.00", 1, 24)
    orders = [
        # Sold on the 10th, refunded on the 14th at 11:00 local.
        wc_order(501, "refunded", "2025-06-10T08:00:00", "2025-06-10T10:00:00", line_items=[mug], total="24.00",
                 refunds=[{"id": 601, "reason": "cassé", "total": "-24.00"}], modified_gmt="2025-06-14T09:00:00"),
        # 00:00 local exactly: the first second of the day. Books at 5.5 %, tea with a coupon,
        # shipping, a tip (fee line named "Tip") and a gift-wrap fee.
        wc_order(502, "processing", "2025-06-13T22:00:00", "2025-06-14T00:00:00", total="51.40", line_items=[
            item(1, 20, "Livre", "LIV-1", 2, "28.44", "1.56", "28.44", "1.56", 2, 15),
            item(2, 30, "Thé", "THE-1", 1, "10.00", "2.00", "8.33", "1.67", 1, 12),
        ], shipping=[{"id": 3, "method_title": "Colissimo", "method_id": "flat_rate", "total": "5.00",
                      "total_tax": "1.00", "taxes": [tax(1, "1.00")], "meta_data": []}],
            fees=[{"id": 4, "name": "Tip", "tax_class": "", "tax_status": "none", "total": "3.00",
                   "total_tax": "0.00", "taxes": [], "meta_data": []},
                  {"id": 5, "name": "Emballage cadeau", "tax_class": "", "tax_status": "taxable", "total": "2.00",
                   "total_tax": "0.40", "taxes": [tax(1, "0.4")], "meta_data": []}],
            coupons=[{"id": 6, "code": "bienvenue", "discount": "1.67", "discount_tax": "0.33", "meta_data": []}]),
        # 23:59:59 local, awaiting a bank transfer: not booked.
        wc_order(503, "on-hold", "2025-06-14T21:59:59", "2025-06-14T23:59:59", method="bacs", total="12.00",
                 line_items=[item(7, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 1, 12)]),
        # 00:00 local the next day, and 23:59:59 local the day before: other days.
        wc_order(504, "completed", "2025-06-14T22:00:00", "2025-06-15T00:00:00", total="12.00",
                 line_items=[item(8, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 1, 12)]),
        wc_order(505, "completed", "2025-06-13T21:59:59", "2025-06-13T23:59:59", total="12.00",
                 line_items=[item(9, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 1, 12)]),
    ]
    refunds = {501: [{
        "id": 601, "date_created": "2025-06-14T11:00:00", "date_created_gmt": "2025-06-14T09:00:00",
        "amount": "24.00", "reason": "cassé", "refunded_by": 1, "refunded_payment": True, "meta_data": [],
        "line_items": [{"id": 701, "name": "Mug", "product_id": 10, "variation_id": 0, "quantity": -1,
                        "tax_class": "", "subtotal": "-20.00", "subtotal_tax": "-4.00", "total": "-20.00",
                        "total_tax": "-4.00", "taxes": [tax(1, "-4", "-4")],
                        "meta_data": [{"id": 2076, "key": "_refunded_item_id", "value": "11"}],
                        "sku": "MUG-1", "price": -24}],
    }]}
    rates = [
        {"id": 1, "country": "FR", "state": "", "postcode": "", "city": "", "postcodes": [], "cities": [],
         "rate": "20.0000", "name": "TVA", "priority": 1, "compound": False, "shipping": True, "order": 1,
         "class": "standard"},
        {"id": 2, "country": "FR", "state": "", "postcode": "", "city": "", "postcodes": [], "cities": [],
         "rate": "5.5000", "name": "TVA réduite", "priority": 1, "compound": False, "shipping": False,
         "order": 2, "class": "reduced-rate"},
    ]
    products = [
        {"id": 10, "name": "Mug", "categories": [{"id": 9, "name": "Vaisselle", "slug": "vaisselle"}]},
        {"id": 20, "name": "Livre", "categories": [{"id": 14, "name": "Livres", "slug": "livres"},
                                                   {"id": 15, "name": "Promo", "slug": "promo"}]},
        {"id": 30, "name": "Thé", "categories": [{"id": 16, "name": "Épicerie", "slug": "epicerie"}]},
    ]
    return orders, refunds, rates, products


def line(order_id, line_id, kind, product_id, sku, category, qty, net, rate, vat, refund=False):
    return {"order_id": order_id, "line_id": line_id, "location": "", "kind": kind, "product_id": product_id,
            "sku": sku, "category": category, "quantity": qty, "net_cents": net, "vat_rate": rate,
            "vat_cents": vat, "gross_cents": net + vat, "country": "FR", "is_refund": refund, "currency": "EUR",
            "buyer_vat_id": ""}


EXPECTED_LINES = [
    line("502", "1", "item", "20", "LIV-1", "Livres", 2.0, 2844, "5.5", 156),
    line("502", "2", "item", "30", "THE-1", "Épicerie", 1.0, 1000, "20", 200),
    line("502", "2:discount", "discount", "30", "THE-1", "Épicerie", 0.0, -167, "20", -33),
    line("502", "shipping:3", "shipping", "", "", "", 1.0, 500, "20", 100),
    line("502", "fee:5", "fee", "", "", "", 1.0, 200, "20", 40),
    line("501", "refund:601:701", "item", "10", "MUG-1", "Vaisselle", -1.0, -2000, "20", -400, True),
]
EXPECTED_PAYMENTS = [
    {"order_id": "502", "payment_id": "ch_502", "location": "", "method": "stripe", "amount_cents": 5140,
     "tip_cents": 300, "is_refund": False, "currency": "EUR"},
    {"order_id": "501", "payment_id": "refund:601", "location": "", "method": "stripe", "amount_cents": -2400,
     "tip_cents": 0, "is_refund": True, "currency": "EUR"},
]


def records(df: pd.DataFrame) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in df.to_dict("records")]


def assert_expected_day(day) -> None:
    assert records(day.sales_lines) == EXPECTED_LINES
    assert records(day.payments) == EXPECTED_PAYMENTS
    assert day.payments["amount_cents"].sum() == day.sales_lines["gross_cents"].sum() + 300 == 2740
    assert "order 503: status on-hold, not booked" in day.notes


def test_parser_books_the_day_exactly():
    orders, refunds, _rates, _products = store_payloads()
    day = parse_woocommerce_day(
        orders, {"501": refunds[501]}, start=datetime(2025, 6, 14, tzinfo=PARIS),
        end=datetime(2025, 6, 15, tzinfo=PARIS), rates={"1": "20", "2": "5.5"},
        categories={"10": "Vaisselle", "20": "Livres", "30": "Épicerie"}, tenant="epicerie", day="2025-06-14",
    )
    assert_expected_day(day)


def make_tenant(url: str, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "epicerie", "name": "Épicerie fine", "siret": "73282932000074", "timezone": "Europe/Paris",
        "start_date": "2025-01-01",
        "source": {"type": "woocommerce", "base_url": url,
                   "credentials": {"consumer_key": "WC_KEY_TEST", "consumer_secret": "WC_SECRET_TEST"},
                   "settings": settings},
        "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST"},
    })


@pytest.fixture
def store(monkeypatch):
    monkeypatch.setenv("WC_KEY_TEST", "ck_live")
    monkeypatch.setenv("WC_SECRET_TEST", "cs_live")
    orders, refunds, rates, products = store_payloads()
    return WooState(orders=copy.deepcopy(orders), refunds=refunds, taxes=rates, products=products,
                    consumer_key="ck_live", consumer_secret="cs_live", retry_after="0.05")


@pytest.mark.parametrize("query_string_auth", [False, True])
def test_source_fetches_the_day_with_paging_and_a_429(store, query_string_auth):
    store.force_429 = {2}
    with serve(create_app(store)) as srv:
        tenant = make_tenant(srv.url, per_page=1, query_string_auth=query_string_auth)
        source = WooCommerceSource(tenant)
        try:
            day = source.fetch(SalesPeriod(tenant, DAY, date(2025, 6, 15)))
        finally:
            source.close()
    assert day.complete
    assert_expected_day(day)
    assert [r.split(",")[0] for r in source.client.retries] == ["WooCommerce GET /wp-json/wc/v3/orders: HTTP 429"]
    first = dict(store.requests[0][1])
    if query_string_auth:
        assert (first.pop("consumer_key"), first.pop("consumer_secret")) == ("ck_live", "cs_live")
    assert first == {"status": "any", "dates_are_gmt": "true", "orderby": "date", "order": "asc",
                     "modified_after": "2025-06-13T21:59:59", "per_page": "1", "page": "1"}
    paths = [p for p, _ in store.requests]
    # modified since the day began: 501, 502, 503, 504; refunds read once; each tax rate once.
    assert paths.count("/wp-json/wc/v3/orders/501/refunds") == 1
    assert sorted(p for p in paths if "/taxes/" in p) == ["/wp-json/wc/v3/taxes/1", "/wp-json/wc/v3/taxes/2"]
    assert paths.count("/wp-json/wc/v3/products") == 3  # 3 products, one per page, one listing


def test_a_day_not_over_yet_is_waiting(store):
    with serve(create_app(store)) as srv:
        tenant = make_tenant(srv.url)
        source = WooCommerceSource(tenant, clock=lambda: datetime(2025, 6, 14, 22, 10, tzinfo=ZoneInfo("UTC")))
        try:
            day = source.fetch(SalesPeriod(tenant, DAY, date(2025, 6, 15)))
        finally:
            source.close()
    assert not day.complete
    assert day.waiting_reason == "the day ends at 2025-06-15T00:00:00+02:00; final 0:15:00 later"
    assert store.requests == []
