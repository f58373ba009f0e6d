"""The pure Chift parser, on payloads shaped like the spec's schemas and examples
(``POSOrderItem``, ``POSItem``, ``POSPaymentItem``, ``PaymentMethods``, ``ClosureItem``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.errors import SourceDataError
from core.periods import SalesPeriod
from resources.sources.chift.parser import ChiftReference, parse_closure, parse_orders, to_cents
from resources.tenants import TenantConfig

TENANT = TenantConfig.model_validate({
    "slug": "bistrot-paix", "name": "Restaurant de la Paix", "siret": "73282932000074",
    "start_date": "2026-01-01",
    "source": {"type": "chift", "settings": {"consumer_id": "0b7e4bb4-6f55-4a51-9d52-5cbd2f3f6a01"},
               "credentials": {"client_id": "CHIFT_CLIENT_ID", "client_secret": "CHIFT_CLIENT_SECRET",
                               "account_id": "CHIFT_ACCOUNT_ID"}},
    "pennylane": {"token_env": "PENNYLANE_TOKEN"},
})


def period(day: date) -> SalesPeriod:
    return SalesPeriod(TENANT, day, day + timedelta(days=1))


def decode(text: str):
    """As the client reads Chift: JSON numbers as Decimal."""
    return json.loads(text, parse_float=Decimal)


# The spec's POSOrderItem example values (total 11, tax 1, tip 1 outside the total, ...).
ORDER = """{
  "id": "371ca583-d218-4900-b236-397532cf0e52", "order_number": "1",
  "creation_date": "2026-03-28T22:50:00Z", "closing_date": "2026-03-28T23:30:00Z",
  "service_date": "2026-03-28T23:30:00Z", "device_id": "device-123",
  "total": 11, "tax_amount": 1, "total_discount": 0, "total_refund": 0, "total_tip": 1,
  "delivery_fee": 0, "mode": "EAT_IN", "source": "POS", "currency": "EUR", "country": "FR",
  "loyalty": 100, "customer_id": "customer-123", "location_id": "location-123",
  "taxes": [{"tax_id": "371ca583-d218-4900-b236-397532cf0e39", "tax_rate": 10, "tax_amount": 1, "total": 11}],
  "guests": 1,
  "payments": [{"id": "payment-123", "payment_method_id": "payment-method-123",
                "payment_method_name": "Cash", "total": 11, "tip": 1, "status": "Completed",
                "currency": "EUR", "date": "2026-03-28T23:30:00Z", "invoice_ref": null,
                "order_id": "371ca583-d218-4900-b236-397532cf0e52"}],
  "items": [{"id": "123", "type": "product", "menu_id": "456", "quantity": 1, "unit_price": 10,
             "total": 11, "tax_amount": 1, "tax_rate": 10,
             "tax_id": "371ca583-d218-4900-b236-397532cf0e39", "description": "Pizza",
             "discounts": [], "product_id": "789", "accounting_category_id": "123", "modifiers": []}],
  "invoice_id": null
}"""

REF = ChiftReference(
    payment_methods={"payment-method-123": {"id": "payment-method-123", "name": "Cash", "extra": "Espèces"}},
    categories={"123": "Beverages"},
    location_tz={"location-123": "Europe/Paris"},
)


def test_spec_example_order_becomes_one_line_and_one_payment_with_the_tip_on_top():
    # 23:30 UTC on 28 March is 00:30 in Paris on the 29th: the order belongs to the 29th.
    lines, payments = parse_orders([decode(ORDER)], ref=REF, period=period(date(2026, 3, 29)))
    assert lines == [{
        "order_id": "371ca583-d218-4900-b236-397532cf0e52", "line_id": "123", "location": "location-123",
        "kind": "item", "product_id": "789", "sku": "", "category": "Beverages", "quantity": 1.0,
        "net_cents": 1000, "vat_rate": "10", "vat_cents": 100, "gross_cents": 1100, "country": "FR",
        "is_refund": False, "currency": "EUR",
    }]
    assert payments == [{
        "order_id": "371ca583-d218-4900-b236-397532cf0e52", "payment_id": "payment-123",
        "location": "location-123", "method": "Espèces", "amount_cents": 1200, "tip_cents": 100,
        "is_refund": False, "currency": "EUR",
    }]
    assert parse_orders([decode(ORDER)], ref=REF, period=period(date(2026, 3, 28))) == ([], [])


def test_decimal_amounts_and_fractional_rates_are_exact():
    order = decode(ORDER)
    order["items"] = [decode("""{"id": "a", "quantity": 0.412, "unit_price": 2.6945, "total": 2.84,
        "tax_amount": 0.15, "tax_rate": 5.5}"""), decode("""{"id": "b", "quantity": 3, "unit_price": 0.0833,
        "total": 0.3, "tax_amount": 0.05, "tax_rate": 20.0}""")]
    order["total"] = Decimal("3.14")
    lines, _ = parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))
    assert [(x["quantity"], x["gross_cents"], x["vat_cents"], x["net_cents"], x["vat_rate"]) for x in lines] == [
        (0.412, 284, 15, 269, "5.5"), (3.0, 30, 5, 25, "20")]
    assert to_cents(0.1 + 0.2, record="r", field_name="f") == 30  # a float is read via its repr
    assert to_cents(Decimal("10.005"), record="r", field_name="f") == 1001  # sub-cent: half up


def test_unknown_method_id_falls_back_to_chifts_name_and_canceled_payments_are_ignored():
    order = decode(ORDER)
    order["payments"] = [
        {"id": "p1", "payment_method_id": "pm-lydia", "payment_method_name": "Lydia", "total": 11, "tip": None,
         "status": "Completed"},
        {"id": "p2", "payment_method_id": "payment-method-123", "payment_method_name": "Cash", "total": 11,
         "status": "Canceled"},
    ]
    _, payments = parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))
    assert [(p["payment_id"], p["method"], p["amount_cents"], p["tip_cents"]) for p in payments] == [
        ("p1", "Lydia", 1100, 0)]


def test_payments_listed_only_by_the_payments_endpoint_fill_orders_without_payments():
    order = decode(ORDER)
    order["payments"] = []
    extra = [{"id": "pay-9", "payment_method_id": "payment-method-123", "total": 11, "tip": 0,
              "order_id": order["id"], "status": "Completed"}]
    _, payments = parse_orders([order], ref=REF, period=period(date(2026, 3, 29)), extra_payments=extra)
    assert [(p["payment_id"], p["method"], p["amount_cents"]) for p in payments] == [("pay-9", "Espèces", 1100)]


def test_refund_order_has_negative_lines_and_payments_flagged_as_refunds():
    order = decode(ORDER)
    order.update(total=Decimal(-11), tax_amount=Decimal(-1), total_refund=Decimal(11), total_tip=0)
    order["items"][0].update(quantity=-1, total=Decimal(-11), tax_amount=Decimal(-1))
    order["payments"][0].update(total=Decimal(-11), tip=0)
    lines, payments = parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))
    assert [(x["gross_cents"], x["net_cents"], x["vat_cents"], x["quantity"], x["is_refund"]) for x in lines] == [
        (-1100, -1000, -100, -1.0, True)]
    assert [(p["amount_cents"], p["is_refund"]) for p in payments] == [(-1100, True)]


def test_general_discount_and_delivery_fee_lines_get_their_kinds():
    order = decode(ORDER)
    order["delivery_fee"] = Decimal("5.9")
    order["items"].append({"id": "d", "type": "general_discount", "quantity": 1, "unit_price": -1,
                           "total": Decimal("-1.1"), "tax_amount": Decimal("-0.1"), "tax_rate": 10})
    order["items"].append({"id": "s", "type": "service", "quantity": 1, "unit_price": Decimal("4.92"),
                           "total": Decimal("5.9"), "tax_amount": Decimal("0.98"), "tax_rate": 20})
    lines, _ = parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))
    assert [(x["line_id"], x["kind"], x["gross_cents"]) for x in lines] == [
        ("123", "item", 1100), ("d", "discount", -110), ("s", "shipping", 590)]


def test_a_taxed_item_without_rate_is_a_source_error_naming_tenant_day_record_and_field():
    order = decode(ORDER)
    order["items"][0]["tax_rate"] = None
    with pytest.raises(SourceDataError) as info:
        parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))
    assert str(info.value) == (
        "[source] tenant bistrot-paix, day 2026-03-29, record order 371ca583-d218-4900-b236-397532cf0e52 "
        "item 123, field tax_rate: tax_rate is missing on a taxed item")


def test_an_amount_that_is_not_a_number_is_a_source_error():
    order = decode(ORDER)
    order["payments"][0]["total"] = "onze"
    with pytest.raises(SourceDataError, match=r"record order .* payment payment-123, field total: not an amount"):
        parse_orders([order], ref=REF, period=period(date(2026, 3, 29)))


def test_closure_item_totals_per_method_include_tips_and_vat_per_rate():
    closure = decode("""{"date": "2026-03-29", "status": "closed", "closures": [
      {"id": "Z-1", "total": 31.5, "tax_amount": 3.05,
       "payments": [{"payment_method_id": "payment-method-123", "payment_method_name": "Cash", "tip": 0, "total": 11},
                    {"payment_method_id": "pm-card", "payment_method_name": "Card", "tip": 2.5, "total": 20.5}],
       "taxes": [{"tax_id": "t10", "tax_rate": 10, "tax_amount": 1.0, "total": 11},
                 {"tax_id": "t20", "tax_rate": 20.0, "tax_amount": 2.05, "total": 20.5}]},
      {"id": "Z-2", "total": 4, "tax_amount": 0.36,
       "payments": [{"payment_method_id": "payment-method-123", "payment_method_name": "Cash", "total": 4}],
       "taxes": [{"tax_rate": 10, "tax_amount": 0.36, "total": 4}]}]}""")
    rows = parse_closure(closure, location="location-123", ref=REF)
    assert sorted((r["dimension"], r["key"], r["amount_cents"], r["net_cents"], r["vat_cents"]) for r in rows) == [
        ("payment", "Card", 2300, 0, 0),
        ("payment", "Espèces", 1500, 0, 0),
        ("vat", "10", 1500, 1364, 136),
        ("vat", "20", 2050, 1845, 205),
    ]
