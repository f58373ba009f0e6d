"""Lightspeed K-Series parser on payloads shaped like the vendor's documentation.

Shapes come from the Financial API v2 OpenAPI (``lightspeed-financialv2-api-openapi.yml``, as
published on api-docs.lsk.lightspeed.app): the ``Get Sales`` 200 example and the field examples of
``financial-apiSale``, ``financial-apiLine``, ``financial-apiTaxLine`` and ``financial-apiPayment``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.errors import SourceDataError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, make_frame
from resources.sources.lightspeed.parser import parse_business_days, rate_from_multiplier, to_cents
from resources.tenants import TenantConfig

DAY = date(2023, 2, 14)


def tenant() -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "bistrot-ls", "name": "Bistrot LS", "siret": "73282932000074", "start_date": "2023-01-01",
        "source": {"type": "lightspeed", "credentials": {"access_token": "LSK_TOKEN"},
                   "settings": {"business_location_ids": [45454565682155]}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


def doc_sale() -> dict:
    """The documented example sale (``Get Sales`` 200 example; field examples of the schemas)."""
    return {
        "accountReference": "57X0j3hzTZ2oo9sdVWiUog==",
        "accountFiscId": "A65315.17",
        "receiptId": "R65315.13",
        "source": {"initialAccountId": "A65315.13", "previousAccountId": "A65315.15"},
        "salesLines": [{
            "id": "S65315.33",
            "parentLineId": "S65315.32",
            "totalNetAmountWithTax": "11.00",
            "totalNetAmountWithoutTax": "8.33",
            "menuListPrice": "10.00",
            "unitCostPrice": "5.00",
            "serviceCharge": "1.00",
            "serviceChargeRate": "10.00",
            "discountAmount": "0.00",
            "taxCode": "VAT20",
            "taxAmount": "1.6667",
            "taxRatePercentage": "20.00",
            "taxLines": [{"taxId": "41910290874374", "taxCode": "VAT20", "taxRate": "1.2",
                          "taxAmount": "1.666667", "taxIncluded": True}],
            "discountType": "DISCOUNT",
            "discountCode": "10PCT",
            "discountName": "10% Discount",
            "sku": "52",
            "name": "Burger",
            "statisticGroup": "Food",
            "quantity": "1.000",
            "accountingGroup": {"accountingGroupId": 141948669132845, "name": "Food",
                                "statisticGroup": "Food", "code": "123"},
            "currency": "GBP",
            "categories": [{"category": "default", "value": "Food"}],
            "timeOfSale": "2023-07-27T19:58:22.474Z",
        }],
        "payments": [{
            "code": "CASH", "description": "Cash", "paymentMethodId": 141948669132824,
            "netAmountWithTax": "11.00", "currency": "GBP", "tip": "0.00", "type": "NORMAL",
            "deviceId": "72676", "fiscId": "T72691.8", "uuid": "bc7i2X_CTkeg8qlec66wmg==",
            "fiscDate": "2023-02-14T20:04:08.665Z", "surcharge": "0.00", "roundingAmount": "0.00",
        }],
        "timeOfOpening": "2023-02-14T19:58:48.224Z",
        "timeClosed": "2023-02-14T20:04:08.734Z",
        "cancelled": False,
        "type": "SALE",
        "nbCovers": 2.0,
        "dineIn": True,
    }


def test_documented_example_sale_books_its_service_charge_as_taxable_revenue_at_the_lines_rate():
    # In the vendor example, net 8.33 + tax 1.67 = 10.00 and the TTC total 11.00 carries the 1.00
    # service charge, which the 11.00 cash payment pays. A service charge the till adds is a
    # mandatory price supplement, taxable at the rate of the service (BOFiP 3B1123): 1.00 TTC at
    # 20 % holds 1.00 × 20/120 = 0.1667 → 0.17 VAT, 0.83 net. Never 0 %.
    day = parse_business_days(
        [(DAY, "45454565682155", {"sales": [doc_sale()], "dataComplete": True,
                                  "nextStartOfDayAsIso8601": "2023-02-15T05:30:00+01:00"})],
        tenant=tenant())
    assert day.complete is True
    lines = day.sales_lines.to_dict("records")
    assert lines == [
        {"order_id": "A65315.17", "line_id": "S65315.33", "location": "45454565682155", "kind": "item",
         "product_id": "", "sku": "52", "category": "Food", "quantity": 1.0, "net_cents": 833,
         "vat_rate": "20", "vat_cents": 167, "gross_cents": 1000, "country": "FR", "is_refund": False,
         "currency": "GBP", "buyer_vat_id": ""},
        {"order_id": "A65315.17", "line_id": "S65315.33-service", "location": "45454565682155",
         "kind": "service_charge", "product_id": "", "sku": "", "category": "Food", "quantity": 1.0,
         "net_cents": 83, "vat_rate": "20", "vat_cents": 17, "gross_cents": 100, "country": "FR",
         "is_refund": False, "currency": "GBP", "buyer_vat_id": ""},
    ]
    assert day.payments.to_dict("records") == [
        {"order_id": "A65315.17", "payment_id": "bc7i2X_CTkeg8qlec66wmg==", "location": "45454565682155",
         "method": "Cash", "amount_cents": 1100, "tip_cents": 0, "is_refund": False, "currency": "GBP"},
    ]


def _line(line_id, sku, name, group, qty, ttc, net, tax, pct, mult, discount="0.00"):
    return {"id": line_id, "totalNetAmountWithTax": ttc, "totalNetAmountWithoutTax": net,
            "taxAmount": tax, "taxRatePercentage": pct, "discountAmount": discount,
            "taxLines": [{"taxId": "1", "taxCode": f"VAT{pct}", "taxRate": mult, "taxAmount": tax,
                          "taxIncluded": True}],
            "sku": sku, "name": name, "quantity": qty, "currency": "EUR",
            "accountingGroup": {"accountingGroupId": 1, "name": group, "statisticGroup": group, "code": "1"}}


def _pay(uuid, method, net, tip="0.00"):
    return {"code": method[:4].upper(), "description": method, "paymentMethodId": 1, "netAmountWithTax": net,
            "currency": "EUR", "tip": tip, "type": "NORMAL", "uuid": uuid, "fiscId": f"T{uuid}"}


def hand_day_sales() -> list[dict]:
    """Business day 2025-03-14: a tip, a 10 % discount, two VAT rates, a late order and a refund."""
    return [
        {"accountFiscId": "A100.1", "type": "SALE", "cancelled": False, "timeClosed": "2025-03-14T11:40:00Z",
         "source": {"initialAccountId": "A100.1"},
         "salesLines": [
             # 2 × 14.50 at 10 %: Lightspeed gives six-decimal amounts.
             _line("S100.1", "PLAT-JOUR", "Plat du jour", "Plats", "2.000", "29.000000", "26.363636",
                   "2.636364", "10.00", "1.1"),
             # 2 × 6.00 at 20 % with 10 % off: 10.80 TTC.
             _line("S100.2", "VIN-VERRE", "Verre de vin", "Boissons alcoolisées", "2.000", "10.80", "9.00",
                   "1.80", "20.00", "1.2", discount="1.20"),
         ],
         "payments": [_pay("P100.1", "Carte bancaire", "39.80", tip="2.00")]},
        # Closed at 00:30 local on the 15th: still business day 14 (the day starts at 05:00).
        {"accountFiscId": "A100.2", "type": "SALE", "cancelled": False, "timeClosed": "2025-03-14T23:30:00Z",
         "source": {"initialAccountId": "A100.2"},
         "salesLines": [_line("S100.3", "CAFE", "Café", "Boissons", "1.000", "2.20", "2.00", "0.20",
                              "10.00", "1.1")],
         "payments": [_pay("P100.2", "Espèces", "2.20")]},
        # Refund of a tarte sold on the 13th (A99.7).
        {"accountFiscId": "A100.3", "type": "REFUND", "cancelled": False,
         "timeClosed": "2025-03-14T18:10:00Z",
         "source": {"initialAccountId": "A99.7", "previousAccountId": "A99.7"},
         "salesLines": [_line("S100.4", "TARTE-TATIN", "Tarte Tatin", "Desserts", "-1.000", "-7.90", "-7.18",
                              "-0.72", "10.00", "1.1")],
         "payments": [_pay("P100.3", "Espèces", "-7.90")]},
        # A table transfer: an account-keeping record, no money movement.
        {"accountFiscId": "A100.4", "type": "TRANSFER", "cancelled": False, "salesLines": [], "payments": []},
    ]


def hand_day_expected() -> tuple[pd.DataFrame, pd.DataFrame]:
    loc = "45454565682155"

    def line(order, lid, sku, cat, qty, net, rate, vat, refund=False):
        return {"order_id": order, "line_id": lid, "location": loc, "kind": "item", "product_id": "",
                "sku": sku, "category": cat, "quantity": qty, "net_cents": net, "vat_rate": rate,
                "vat_cents": vat, "gross_cents": net + vat, "country": "FR", "is_refund": refund,
                "currency": "EUR"}

    lines = make_frame([
        line("A100.1", "S100.1", "PLAT-JOUR", "Plats", 2.0, 2636, "10", 264),
        line("A100.1", "S100.2", "VIN-VERRE", "Boissons alcoolisées", 2.0, 900, "20", 180),
        line("A100.2", "S100.3", "CAFE", "Boissons", 1.0, 200, "10", 20),
        line("A100.3", "S100.4", "TARTE-TATIN", "Desserts", -1.0, -718, "10", -72, refund=True),
    ], SALES_LINE_COLUMNS)
    payments = make_frame([
        {"order_id": "A100.1", "payment_id": "P100.1", "location": loc, "method": "Carte bancaire",
         "amount_cents": 4180, "tip_cents": 200, "is_refund": False, "currency": "EUR"},
        {"order_id": "A100.2", "payment_id": "P100.2", "location": loc, "method": "Espèces",
         "amount_cents": 220, "tip_cents": 0, "is_refund": False, "currency": "EUR"},
        {"order_id": "A100.3", "payment_id": "P100.3", "location": loc, "method": "Espèces",
         "amount_cents": -790, "tip_cents": 0, "is_refund": True, "currency": "EUR"},
    ], PAYMENT_COLUMNS)
    return lines, payments


def test_hand_computed_day_parses_to_exact_frames():
    day = parse_business_days(
        [(date(2025, 3, 14), "45454565682155", {"sales": hand_day_sales(), "dataComplete": True})],
        tenant=tenant())
    lines, payments = hand_day_expected()
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert day.notes == ["location 45454565682155 2025-03-14: skipped sales without money movement: TRANSFER×1"]
    # The day balances: takings = sales TTC + tips.
    assert day.payments.amount_cents.sum() == day.sales_lines.gross_cents.sum() + day.payments.tip_cents.sum()


def test_incomplete_day_is_waiting_not_failed():
    day = parse_business_days(
        [(date(2025, 3, 14), "45454565682155", {"sales": hand_day_sales(), "dataComplete": False})],
        tenant=tenant())
    assert day.complete is False
    assert day.waiting_reason == "Lightspeed dataComplete is false for location 45454565682155 day 2025-03-14"
    assert len(day.sales_lines) == 0


@pytest.mark.parametrize(("mult", "rate"), [("1.2", "20"), ("1.1", "10"), ("1.055", "5.5"), ("1.021", "2.1"),
                                            ("1", "0"), ("1.0", "0")])
def test_tax_multipliers_become_percent_rates(mult, rate):
    assert rate_from_multiplier(mult) == rate


def test_half_even_rounding_of_six_decimal_amounts():
    assert [to_cents(v) for v in ("1.666667", "0.005", "0.015", "-7.90", "2")] == [167, 0, 2, -790, 200]


def test_rate_and_multiplier_disagreeing_is_a_source_error_naming_record_and_field():
    sale = doc_sale()
    sale["salesLines"][0]["taxLines"][0]["taxRate"] = "1.1"
    with pytest.raises(SourceDataError) as exc:
        parse_business_days([(DAY, "45454565682155", {"sales": [sale], "dataComplete": True})], tenant=tenant())
    assert str(exc.value) == (
        "[source] tenant bistrot-ls, day 2023-02-14, record A65315.17/S65315.33, field taxLines[0].taxRate: "
        "taxRatePercentage '20.00' disagrees with the tax multiplier (10 %)")


def test_totals_that_do_not_add_up_are_a_source_error():
    sale = doc_sale()
    sale["salesLines"][0]["totalNetAmountWithTax"] = "12.00"
    with pytest.raises(SourceDataError) as exc:
        parse_business_days([(DAY, "45454565682155", {"sales": [sale], "dataComplete": True})], tenant=tenant())
    assert exc.value.record == "A65315.17/S65315.33"
    assert exc.value.field_name == "totalNetAmountWithTax"
    assert "totalNetAmountWithTax 12.00 != totalNetAmountWithoutTax 8.33 + taxAmount 1.6667 + serviceCharge 1.00" \
        in str(exc.value)


def test_a_refund_with_a_positive_amount_is_a_source_error():
    sales = hand_day_sales()
    sales[2]["payments"][0]["netAmountWithTax"] = "7.90"
    with pytest.raises(SourceDataError) as exc:
        parse_business_days([(date(2025, 3, 14), "1", {"sales": sales, "dataComplete": True})], tenant=tenant())
    assert exc.value.record == "A100.3/P100.3"
    assert exc.value.field_name == "netAmountWithTax"


def test_a_non_decimal_amount_names_the_field():
    sale = doc_sale()
    sale["payments"][0]["tip"] = "1,50"
    with pytest.raises(SourceDataError) as exc:
        parse_business_days([(DAY, "1", {"sales": [sale], "dataComplete": True})], tenant=tenant())
    assert str(exc.value) == ("[source] tenant bistrot-ls, day 2023-02-14, record "
                              "A65315.17/bc7i2X_CTkeg8qlec66wmg==, field tip: '1,50' is not a decimal amount")


def _one_sale_day(sale):
    return parse_business_days([(DAY, "45454565682155", {"sales": [sale], "dataComplete": True})], tenant=tenant())


def test_an_apportioned_service_charge_already_inside_the_taxed_line_stays_there_at_its_rate():
    # APPORTIONED: the 1.00 charge is inside the line's amounts (net 9.17 + tax 1.83 = 11.00 TTC,
    # 20 % of 9.17 = 1.834 → 1.83): one line of 11.00 at 20 %, no second line, nothing untaxed.
    sale = doc_sale()
    sale["salesLines"][0].update({"serviceChargeType": "APPORTIONED", "totalNetAmountWithoutTax": "9.166667",
                                  "taxAmount": "1.833333"})
    sale["salesLines"][0]["taxLines"][0]["taxAmount"] = "1.833333"
    lines = _one_sale_day(sale).sales_lines
    assert lines[["kind", "vat_rate", "net_cents", "vat_cents", "gross_cents"]].to_dict("records") == [
        {"kind": "item", "vat_rate": "20", "net_cents": 917, "vat_cents": 183, "gross_cents": 1100}]


def test_a_voluntary_tip_goes_to_the_payment_tip_and_no_revenue_line():
    # A 2.00 tip on the payment: 13.00 paid, of which 2.00 tip; the lines stay 10.00 + 1.00 service.
    sale = doc_sale()
    sale["payments"][0].update({"netAmountWithTax": "11.00", "tip": "2.00"})
    day = _one_sale_day(sale)
    assert day.payments[["amount_cents", "tip_cents"]].to_dict("records") == [{"amount_cents": 1300, "tip_cents": 200}]
    assert int(day.sales_lines["gross_cents"].sum()) == 1100


def test_a_service_charge_on_a_line_that_says_no_service_charge_is_a_source_error():
    sale = doc_sale()
    sale["salesLines"][0]["serviceChargeType"] = "NO_SERVICE_CHARGE"
    with pytest.raises(SourceDataError) as err:
        _one_sale_day(sale)
    assert err.value.field_name == "serviceCharge" and err.value.record == "A65315.17/S65315.33"
