"""WooCommerce orders booked on the day they are paid, or completed (issue 9 point 10).

WooCommerce REST v3 (``vendor-docs/woocommerce-wc-v3-orders.md``): ``date_paid_gmt`` "the date the
order was paid, as GMT", ``date_completed_gmt`` likewise; ``date_paid: null`` on an order never
paid; the list filter ``modified_after`` "limit response to resources modified after a given
ISO8601 compliant date". Paying or completing an order modifies it, so the day's query is
``modified_after`` = the day's start (GMT, ``dates_are_gmt=true``) and the parser books each order
on its payment (or completion) date. Each expected amount below is computed by hand: a tea at
12.00 TTC, 20 % → 10.00 net + 2.00 VAT.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from core.periods import SalesPeriod
from emulators.server import serve
from emulators.woocommerce import WooState, create_app, set_status
from resources.sources.woocommerce.parser import parse_woocommerce_day
from resources.sources.woocommerce.source import WooCommerceSource
from tests.harness import load_sibling

woo = load_sibling(__file__, "test_woocommerce_day.py", "woocommerce_day_paid")
PARIS = woo.PARIS
TEA = woo.item(9, 30, "Thé", "THE-1", 1, "10.00", "2.00", "10.00", "2.00", 1, 12)


def created_on_the_12th_unpaid(id_: int, status: str = "pending") -> dict:
    order = woo.wc_order(id_, status, "2025-06-12T08:00:00", "2025-06-12T10:00:00", total="12.00",
                         line_items=[copy.deepcopy(TEA)])
    order["date_paid"] = order["date_paid_gmt"] = None
    return order


def parse(orders, day: int, book_on: str = "paid"):
    return parse_woocommerce_day(
        orders, {}, start=datetime(2025, 6, day, tzinfo=PARIS), end=datetime(2025, 6, day + 1, tzinfo=PARIS),
        rates={"1": "20"}, categories={"30": "Épicerie"}, tenant="epicerie", day=f"2025-06-{day}", book_on=book_on)


def booked(day) -> list[tuple[str, int, int, int]]:
    return [(r["order_id"], r["net_cents"], r["vat_cents"], r["gross_cents"]) for r in day.sales_lines.to_dict("records")]


def test_an_order_created_on_the_12th_and_paid_on_the_14th_is_booked_on_the_14th_only():
    order = set_status(created_on_the_12th_unpaid(900), "processing", datetime(2025, 6, 14, 9, 30, tzinfo=UTC))
    assert order["date_paid_gmt"] == "2025-06-14T09:30:00" and order["date_created_gmt"] == "2025-06-12T08:00:00"
    assert booked(parse([order], 12)) == []
    day = parse([order], 14)
    assert booked(day) == [("900", 1000, 200, 1200)]
    assert day.payments[["order_id", "amount_cents"]].to_dict("records") == [{"order_id": "900", "amount_cents": 1200}]


def test_an_order_cancelled_before_payment_is_never_booked():
    order = set_status(created_on_the_12th_unpaid(901), "cancelled", datetime(2025, 6, 14, 9, 30, tzinfo=UTC))
    assert order["date_paid_gmt"] is None
    for day in (12, 14):
        assert booked(parse([order], day)) == [] and parse([order], day).payments.empty


def test_with_book_on_completed_an_order_paid_on_the_14th_and_completed_on_the_16th_books_on_the_16th():
    order = set_status(created_on_the_12th_unpaid(902), "processing", datetime(2025, 6, 14, 9, 30, tzinfo=UTC))
    set_status(order, "completed", datetime(2025, 6, 16, 15, 0, tzinfo=UTC))
    assert booked(parse([order], 14, "completed")) == []
    assert booked(parse([order], 16, "completed")) == [("902", 1000, 200, 1200)]
    assert booked(parse([order], 14, "paid")) == [("902", 1000, 200, 1200)]


@pytest.fixture
def store(monkeypatch):
    monkeypatch.setenv("WC_KEY_TEST", "ck_live")
    monkeypatch.setenv("WC_SECRET_TEST", "cs_live")
    _orders, _refunds, rates, products = woo.store_payloads()
    paid_later = set_status(created_on_the_12th_unpaid(900), "processing", datetime(2025, 6, 14, 9, 30, tzinfo=UTC))
    cancelled = set_status(created_on_the_12th_unpaid(901), "cancelled", datetime(2025, 6, 14, 9, 45, tzinfo=UTC))
    return WooState(orders=[paid_later, cancelled], refunds={}, taxes=rates, products=products,
                    consumer_key="ck_live", consumer_secret="cs_live")


def test_the_source_queries_orders_modified_since_the_day_began_and_books_the_one_paid_that_day(store):
    with serve(create_app(store)) as srv:
        tenant = woo.make_tenant(srv.url)
        source = WooCommerceSource(tenant)
        try:
            day14 = source.fetch(SalesPeriod(tenant, date(2025, 6, 14), date(2025, 6, 15)))
            day12 = source.fetch(SalesPeriod(tenant, date(2025, 6, 12), date(2025, 6, 13)))
        finally:
            source.close()
    assert booked(day14) == [("900", 1000, 200, 1200)]
    assert booked(day12) == []
    orders_queries = [q for p, q in store.requests if p.endswith("/orders")]
    assert orders_queries[0] == {"status": "any", "dates_are_gmt": "true", "orderby": "date", "order": "asc",
                                 "modified_after": "2025-06-13T21:59:59", "per_page": "100", "page": "1"}
