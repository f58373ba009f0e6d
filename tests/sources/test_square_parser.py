"""The pure Square parser on payloads shaped exactly like Square's documentation examples.

The examples are read from the official spec (``square-connect-api.json``, the ``example`` of
``PayOrderResponse``, ``CreateOrderResponse`` and ``ListPaymentRefundsResponse``), so the shapes
are Square's own, not ours.
"""

from __future__ import annotations

import copy
import json

import pytest

from core.errors import SourceDataError
from resources.sources.common import allocate
from resources.sources.square.parser import ParseContext, parse_day, parse_order, parse_refund


@pytest.fixture(scope="module")
def examples(square_spec_document):
    schemas = json.loads(square_spec_document.read_text())["components"]["schemas"]
    return {name: schemas[name]["example"] for name in
            ("PayOrderResponse", "CreateOrderResponse", "ListPaymentRefundsResponse")}


def usd(day="2019-08-06"):
    return ParseContext(tenant="cafe-test", day=day, currency="USD", country="FR")


def test_completed_order_with_two_card_tenders(examples):
    # PayOrderResponse example: COMPLETED, two untaxed lines (500 + 2×750), two CARD tenders of 1000.
    order = examples["PayOrderResponse"]["order"]
    lines, payments = parse_order(usd(), order)
    assert [(r["line_id"], r["quantity"], r["gross_cents"], r["net_cents"], r["vat_cents"], r["vat_rate"])
            for r in lines] == [
        ("QW6kofLHJK7JEKMjlSVP5C", 1.0, 500, 500, 0, "0"),
        ("zhw8MNfRGdFQMI2WE1UBJD", 2.0, 1500, 1500, 0, "0"),
    ]
    assert all(r["order_id"] == "lgwOlEityYPJtcuvKTVKT1pA986YY" and r["location"] == "P3CCK6HSNDAS7"
               for r in lines)
    assert [(p["payment_id"], p["method"], p["amount_cents"], p["tip_cents"]) for p in payments] == [
        ("EnZdNAlWCmfh6Mt5FMNST1o7taB", "CARD", 1000, 0),
        ("0LRiVlbXVwe8ozu4KbZxd12mvaB", "CARD", 1000, 0),
    ]


def test_additive_tax_and_discounts_are_read_from_line_totals(examples):
    # CreateOrderResponse example: ADDITIVE 9 % tax, ORDER and LINE_ITEM discounts already
    # apportioned in each line's total_money / total_tax_money. We add the tender Square would
    # show once paid (the example is OPEN, unpaid).
    order = copy.deepcopy(examples["CreateOrderResponse"]["order"])
    order["tenders"] = [{"id": "T1", "type": "CASH", "amount_money": {"amount": 6176, "currency": "USD"}}]
    lines, payments = parse_order(usd("2020-01-17"), order)
    assert [(r["line_id"], r["gross_cents"], r["vat_cents"], r["net_cents"], r["vat_rate"], r["product_id"])
            for r in lines] == [
        ("8uSwfzvUImn3IRrvciqlXC", 1648, 136, 1512, "9", ""),
        ("v8ZuEXpOJpb0bazLuvrLDB", 4528, 374, 4154, "9", "BEMYCSMIJL46OCDV4KYIKXIB"),
    ]
    assert payments[0]["amount_cents"] == 6176


def test_unpaid_order_is_a_source_error_naming_the_order(examples):
    order = examples["CreateOrderResponse"]["order"]  # no tenders at all
    with pytest.raises(SourceDataError) as err:
        parse_order(usd("2020-01-17"), order)
    assert str(err.value) == (
        "[source] tenant cafe-test, day 2020-01-17, record CAISENgvlJ6jLWAzERDzjyHVybY, field tenders: "
        "tenders (excluding tips) total 0 but lines and service charges total 6176"
    )


def test_currency_mismatch_names_the_field(examples):
    order = examples["PayOrderResponse"]["order"]
    ctx = ParseContext(tenant="cafe-test", day="2019-08-06", currency="EUR", country="FR")
    with pytest.raises(SourceDataError, match=r"record lgwOlEityYPJtcuvKTVKT1pA986YY, field "
                       r"line_items\[0\]\.total_money: currency USD differs from the tenant's EUR"):
        parse_order(ctx, order)


def test_refund_example_is_spread_over_the_order_rates(examples):
    # ListPaymentRefundsResponse example: 555 USD refunded on payment bP9m… of order 9ltv…
    refund = examples["ListPaymentRefundsResponse"]["refunds"][0]
    order = {
        "id": "9ltv0bx5PuvGXUYHYHxYSKEqC3IZY", "location_id": "L88917AVBK2S5",
        "taxes": [{"uid": "t10", "percentage": "10", "type": "INCLUSIVE"},
                  {"uid": "t20", "percentage": "20", "type": "INCLUSIVE"}],
        "line_items": [
            {"uid": "a", "quantity": "1", "total_money": {"amount": 1500, "currency": "USD"},
             "total_tax_money": {"amount": 136, "currency": "USD"},
             "applied_taxes": [{"tax_uid": "t10", "applied_money": {"amount": 136, "currency": "USD"}}]},
            {"uid": "b", "quantity": "1", "total_money": {"amount": 600, "currency": "USD"},
             "total_tax_money": {"amount": 100, "currency": "USD"},
             "applied_taxes": [{"tax_uid": "t20", "applied_money": {"amount": 100, "currency": "USD"}}]},
        ],
        "tenders": [{"id": "bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY", "type": "CARD",
                     "amount_money": {"amount": 2100, "currency": "USD"}}],
    }
    lines, payments = parse_refund(usd("2021-10-13"), refund, order)
    # 555 × 1500/2100 = 396.43 → 396 ; 555 × 600/2100 = 158.57 → 159 (largest remainder)
    assert [(r["line_id"], r["vat_rate"], r["gross_cents"], r["vat_cents"], r["net_cents"], r["is_refund"])
            for r in lines] == [
        (f"{refund['id']}:10", "10", -396, -36, -360, True),
        (f"{refund['id']}:20", "20", -159, -27, -132, True),
    ]
    assert payments == [{
        "order_id": "9ltv0bx5PuvGXUYHYHxYSKEqC3IZY", "payment_id": refund["id"], "location": "L88917AVBK2S5",
        "method": "CARD", "amount_cents": -555, "tip_cents": 0, "is_refund": True, "currency": "USD",
    }]


def test_itemized_return_order_gives_the_exact_lines():
    # A return order (Square: OrderReturn with return_line_items and return_taxes) names the sale.
    refund = {"id": "R9", "status": "COMPLETED", "location_id": "L1", "order_id": "RET1",
              "payment_id": "P1", "destination_type": "CASH", "created_at": "2026-03-10T09:00:00Z",
              "amount_money": {"amount": 550, "currency": "EUR"}}
    return_order = {
        "id": "RET1", "location_id": "L1",
        "returns": [{
            "uid": "r1", "source_order_id": "SALE1",
            "return_taxes": [{"uid": "rt", "source_tax_uid": "t20", "percentage": "20", "type": "INCLUSIVE"}],
            "return_line_items": [{
                "uid": "rl1", "quantity": "1", "total_money": {"amount": 550, "currency": "EUR"},
                "total_tax_money": {"amount": 92, "currency": "EUR"},
                "applied_taxes": [{"tax_uid": "rt", "applied_money": {"amount": 92, "currency": "EUR"}}],
            }],
        }],
    }
    ctx = ParseContext(tenant="cafe-test", day="2026-03-10", currency="EUR", country="FR")
    lines, payments = parse_refund(ctx, refund, return_order)
    assert [(r["order_id"], r["vat_rate"], r["gross_cents"], r["vat_cents"], r["net_cents"]) for r in lines] == [
        ("SALE1", "20", -550, -92, -458)]
    assert (payments[0]["method"], payments[0]["amount_cents"]) == ("CASH", -550)


def test_refund_of_a_tip_is_refused_with_a_clear_error():
    order = {"id": "O1", "location_id": "L1", "line_items": [
        {"uid": "a", "quantity": "1", "total_money": {"amount": 1000, "currency": "EUR"}}],
        "tenders": [{"id": "P1", "type": "CARD", "amount_money": {"amount": 1200, "currency": "EUR"},
                     "tip_money": {"amount": 200, "currency": "EUR"}}]}
    refund = {"id": "R1", "order_id": "O1", "payment_id": "P1", "status": "COMPLETED",
              "amount_money": {"amount": 1200, "currency": "EUR"}}
    ctx = ParseContext(tenant="cafe-test", day="2026-03-10", currency="EUR", country="FR")
    with pytest.raises(SourceDataError, match="record R1, field amount_money: refund 1200 exceeds the order's "
                       r"goods 1000 \(refunded tip is not supported\)"):
        parse_refund(ctx, refund, order)


def test_two_taxes_on_one_line_is_a_source_error():
    order = {"id": "O2", "location_id": "L1",
             "taxes": [{"uid": "a", "percentage": "10"}, {"uid": "b", "percentage": "5.5"}],
             "line_items": [{"uid": "x", "quantity": "1", "total_money": {"amount": 1000, "currency": "EUR"},
                             "applied_taxes": [{"tax_uid": "a"}, {"tax_uid": "b"}]}],
             "tenders": [{"id": "P", "type": "CASH", "amount_money": {"amount": 1000, "currency": "EUR"}}]}
    ctx = ParseContext(tenant="cafe-test", day="2026-03-10", currency="EUR", country="FR")
    with pytest.raises(SourceDataError, match=r"record O2, field line_items\[0\]\.applied_taxes: line has 2 "
                       "applied taxes"):
        parse_order(ctx, order)


def test_parse_day_frames_are_valid_canonical_frames(examples):
    from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS

    day = parse_day(usd(), [examples["PayOrderResponse"]["order"]], [], {})
    assert {c: str(t) for c, t in day.sales_lines.dtypes.items()} == SALES_LINE_COLUMNS
    assert {c: str(t) for c, t in day.payments.dtypes.items()} == PAYMENT_COLUMNS
    assert day.sales_lines["gross_cents"].sum() == day.payments["amount_cents"].sum() == 2000


def test_allocate_is_exact():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-555, [1500, 600]) == [-396, -159]
    assert sum(allocate(999, [7, 13, 29])) == 999
