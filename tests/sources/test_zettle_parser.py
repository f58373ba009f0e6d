"""The pure Zettle parser on the Purchase API v2 documentation's own examples.

Payloads below are copied from ``vendor-docs/zettle-purchase-api-v2.adoc`` (iZettle/api-documentation
@333074c purchase.adoc): example2 "Purchases with partial refund", example3 "Purchase with
discounts", example4 "Fetch a specific purchase". Elided parts (``...``: gpsCoordinates, the
payment of example3) are dropped or, for that payment, completed with a type.
"""

from __future__ import annotations

import copy

import pytest

from core.errors import SourceDataError
from resources.sources.zettle.parser import _Ctx, parse_purchase, parse_purchases, parse_timestamp

# example2: the refund purchase (first of the list) and the sale it refunds (second)
EXAMPLE2_REFUND = {
    "source": "POS", "purchaseUUID": "1x6BTNcFQ-esnIMUSdX8mQ", "amount": -10000, "vatAmount": -1071,
    "country": "SE", "currency": "SEK", "timestamp": "2021-01-13T21:34:22.069+0000", "purchaseNumber": 33,
    "globalPurchaseNumber": 33, "userDisplayName": "John Eriksen", "userId": 5428764, "organizationId": 37295469,
    "products": [{
        "quantity": "-1", "productUuid": "c8037b10-5381-11eb-a35d-4df8c9434273",
        "variantUuid": "f29e9da0-5381-11eb-b308-d53bdad1e1da", "vatPercentage": 12, "unitPrice": 10000,
        "rowTaxableAmount": -8929, "name": "T-shirt", "description": "", "variantName": "Small",
        "fromLocationUuid": "ab4b8ca6-c4d0-11e9-9f2e-2f9f3e29738c",
        "toLocationUuid": "ab4b8d0a-c4d0-11e9-a836-71d1917b51b2", "type": "PRODUCT", "libraryProduct": True}],
    "discounts": [],
    "payments": [{"uuid": "5fdf1688-56ab-4686-857f-4ada4361a205", "amount": -10000, "type": "IZETTLE_CASH",
                  "references": {"refundsPayment": "eb0db2eb-0ab0-4650-bd9c-492ebbe36938"},
                  "attributes": {"handedAmount": -10000}}],
    "refundsPurchaseUUID": "an16nO_YSpOw_0XVXSEndA", "receiptCopyAllowed": True,
    "references": {"checkoutUUID": "d51c834e-d507-41e5-ae9e-81164bd7fe9b"},
    "created": "2021-01-13T21:34:22.069+0000", "refunded": False,
    "purchaseUUID1": "d71e814c-d705-43e7-ac9c-831449d5fc99",
    "refundsPurchaseUUID1": "6a7d7a9c-efd8-4a93-b0ff-45d55d212774",
    "groupedVatAmounts": {"12.0": -10000}, "refund": True,
}
EXAMPLE2_SALE = {
    "source": "POS", "purchaseUUID": "an16nO_YSpOw_0XVXSEndA", "amount": 20000, "vatAmount": 2142,
    "country": "SE", "currency": "SEK", "timestamp": "2021-01-13T21:34:10.968+0000", "purchaseNumber": 32,
    "globalPurchaseNumber": 32, "userDisplayName": "John Eriksen", "userId": 5428764, "organizationId": 37295469,
    "products": [
        {"quantity": "1", "productUuid": "c8037b10-5381-11eb-a35d-4df8c9434273",
         "variantUuid": "f29e9da0-5381-11eb-b308-d53bdad1e1da", "vatPercentage": 12, "unitPrice": 10000,
         "rowTaxableAmount": 8929, "name": "T-shirt", "description": "", "variantName": "Small",
         "type": "PRODUCT", "libraryProduct": True},
        {"quantity": "1", "productUuid": "c8037b10-5381-11eb-a35d-4df8c9434273",
         "variantUuid": "f29e9da0-5381-11eb-9178-f532eaf25a4b", "vatPercentage": 12, "unitPrice": 10000,
         "rowTaxableAmount": 8929, "name": "T-shirt", "description": "", "variantName": "Medium",
         "type": "PRODUCT", "libraryProduct": True}],
    "discounts": [],
    "payments": [{"uuid": "eb0db2eb-0ab0-4650-bd9c-492ebbe36938", "amount": 20000, "type": "IZETTLE_CASH",
                  "attributes": {"handedAmount": 20000}}],
    "refundedByPurchaseUUIDs": ["1x6BTNcFQ-esnIMUSdX8mQ"], "receiptCopyAllowed": True,
    "references": {"checkoutUUID": "6b7c7b9d-eed9-4b92-b1fe-44d45c202675"},
    "created": "2021-01-13T21:34:10.968+0000", "refunded": True,
    "purchaseUUID1": "6a7d7a9c-efd8-4a93-b0ff-45d55d212774",
    "refundedByPurchaseUUIDs1": ["d71e814c-d705-43e7-ac9c-831449d5fc99"],
    "groupedVatAmounts": {"12.0": 20000}, "refund": False,
}
EXAMPLE3_DISCOUNTS = {
    "source": "POS", "purchaseUUID": "9u9p8liUSmu9ZrH9NkzeOA", "amount": 15200, "vatAmount": 1628,
    "country": "SE", "currency": "SEK", "timestamp": "2021-01-15T12:17:03.164+0000", "purchaseNumber": 34,
    "globalPurchaseNumber": 34, "userDisplayName": "Sara Eriksen", "userId": 5428764, "organizationId": 37295469,
    "products": [
        {"quantity": "1", "productUuid": "c8037b10-5381-11eb-a35d-4df8c9434273",
         "variantUuid": "f29e9da0-5381-11eb-b308-d53bdad1e1da", "vatPercentage": 12, "unitPrice": 10000,
         "rowTaxableAmount": 6786, "name": "T-shirt", "description": "Cool T-shirt", "variantName": "Small",
         "discount": {"percentage": 20, "quantity": 1}, "discountValue": 2000, "comment": "20% off",
         "type": "PRODUCT", "libraryProduct": True},
        {"quantity": "1", "productUuid": "c8037b10-5381-11eb-a35d-4df8c9434273",
         "variantUuid": "f29e9da0-5381-11eb-80a8-3285f2ac85a4", "vatPercentage": 12, "unitPrice": 10000,
         "rowTaxableAmount": 6786, "name": "T-shirt", "description": "Cool T-shirt", "variantName": "Large",
         "discount": {"amount": 2000, "quantity": 1}, "discountValue": 2000, "comment": "Fixed amount discount",
         "type": "PRODUCT", "libraryProduct": True}],
    "discounts": [{"percentage": 5, "quantity": 1, "value": 800}],
    # the doc elides the payment's type ("..."): a card payment
    "payments": [{"uuid": "624bbc18-93f9-4334-84c6-16c660bef366", "amount": 15200, "type": "IZETTLE_CARD"}],
    "receiptCopyAllowed": True, "references": {"checkoutUUID": "f7ee68f3-5995-4b6a-bc67-b0fc374ddf39"},
    "created": "2021-01-15T12:17:03.164+0000", "refunded": False,
    "purchaseUUID1": "f6ef69f2-5894-4a6b-bd66-b1fd364cde38", "groupedVatAmounts": {"12.0": 15200},
    "refund": False,
}
EXAMPLE4_SWISH = {
    "source": "POS", "purchaseUUID": "WJwt5j7kEeuecKKsB1sX_Q", "purchaseUUID1": "589c2de6-3ee4-11eb-9e70-a2ac075b17fd",
    "amount": 70000, "vatAmount": 14000, "country": "SE", "currency": "SEK",
    "timestamp": "2020-12-15T14:46:43.592+0000",
    "gpsCoordinates": {"longitude": 19.80452501310729, "latitude": 66.609375, "accuracyMeters": 165},
    "purchaseNumber": 1366, "globalPurchaseNumber": 1366, "userDisplayName": "Sara Johansson", "userId": 11111,
    "organizationId": 11111,
    "products": [{"quantity": "1", "productUuid": "2f2a8d60-9c76-11e5-8a3b-82916dc77adc",
                  "variantUuid": "234ee5f0-b188-11e5-aa17-721c907d3875", "vatPercentage": 25, "unitPrice": 70000,
                  "rowTaxableAmount": 56000, "name": "Haircut", "variantName": "1 hour",
                  "fromLocationUuid": "4c03eec0-183c-11e7-a3f8-037fdcd360ec",
                  "toLocationUuid": "4c03eec0-183c-11e7-a15a-cda93ab15db3", "autoGenerated": False, "id": "0",
                  "type": "PRODUCT", "libraryProduct": True}],
    "discounts": [],
    "payments": [{"uuid": "592b82f2-3ee4-11eb-9f71-a3ad065a16fc", "amount": 70000, "type": "SWISH",
                  "attributes": {}}],
    "receiptCopyAllowed": True, "references": {"checkoutUUID": "589c2de6-3ee4-11eb-9f71-a3ad065a16fc"},
    "created": "2020-12-15T14:46:43.592+0000", "refunded": False, "groupedVatAmounts": {"25.0": 70000},
    "refund": False,
}

COLS = ["order_id", "line_id", "kind", "vat_rate", "quantity", "gross_cents", "vat_cents", "net_cents", "is_refund"]


def sek(day="2021-01-13"):
    return _Ctx("boutique-zettle", day, "SEK", "SE")


def test_partial_refund_example_is_a_negative_purchase_of_its_own():
    day = parse_purchases(sek(), [EXAMPLE2_SALE, EXAMPLE2_REFUND])
    sale, refund = EXAMPLE2_SALE["purchaseUUID1"], EXAMPLE2_REFUND["purchaseUUID1"]
    assert [tuple(r) for r in day.sales_lines[COLS].itertuples(index=False)] == [
        (sale, f"{sale}:0", "item", "12", 1.0, 10000, 1071, 8929, False),
        (sale, f"{sale}:1", "item", "12", 1.0, 10000, 1071, 8929, False),
        (refund, f"{refund}:0", "item", "12", -1.0, -10000, -1071, -8929, True),
    ]
    assert [tuple(r) for r in day.payments[["payment_id", "method", "amount_cents", "tip_cents", "is_refund"]]
            .itertuples(index=False)] == [
        ("eb0db2eb-0ab0-4650-bd9c-492ebbe36938", "IZETTLE_CASH", 20000, 0, False),
        ("5fdf1688-56ab-4686-857f-4ada4361a205", "IZETTLE_CASH", -10000, 0, True),
    ]
    assert day.notes == ["1 purchases, 1 refunds"]


def test_row_and_purchase_discounts_example():
    # Rows: 10000 − 2000 (row discount) − 400 (half of the 5 % purchase discount of 800) = 7600,
    # net = Zettle's rowTaxableAmount 6786, VAT 814; two rows → 1628 = vatAmount.
    lines, payments = parse_purchase(sek("2021-01-15"), EXAMPLE3_DISCOUNTS)
    assert [(r["gross_cents"], r["net_cents"], r["vat_cents"], r["vat_rate"]) for r in lines] == [
        (7600, 6786, 814, "12"), (7600, 6786, 814, "12")]
    assert [(p["method"], p["amount_cents"]) for p in payments] == [("IZETTLE_CARD", 15200)]


def test_fetch_a_purchase_example_swish():
    lines, payments = parse_purchase(sek("2020-12-15"), EXAMPLE4_SWISH)
    assert [(r["product_id"], r["gross_cents"], r["net_cents"], r["vat_cents"], r["vat_rate"], r["country"])
            for r in lines] == [("2f2a8d60-9c76-11e5-8a3b-82916dc77adc", 70000, 56000, 14000, "25", "SE")]
    assert payments[0]["method"] == "SWISH"


def test_gratuity_is_included_in_the_payment_amount():
    purchase = copy.deepcopy(EXAMPLE4_SWISH)
    purchase["payments"] = [{"uuid": "p", "amount": 71000, "gratuityAmount": 1000, "type": "IZETTLE_CARD"}]
    _, payments = parse_purchase(sek("2020-12-15"), purchase)
    assert (payments[0]["amount_cents"], payments[0]["tip_cents"]) == (71000, 1000)


def test_service_charge_example_shape():
    # serviceCharge as in the doc: {"amount": 499, "title": "Standard Shipping", "vatPercentage": 16.0, "quantity": "1"}
    purchase = copy.deepcopy(EXAMPLE4_SWISH)
    purchase["serviceCharge"] = {"amount": 499, "title": "Standard Shipping", "vatPercentage": 16.0, "quantity": "1"}
    purchase["amount"] = 70499
    purchase["vatAmount"] = 14069
    purchase["payments"][0]["amount"] = 70499
    lines, _ = parse_purchase(sek("2020-12-15"), purchase)
    assert [(r["kind"], r["gross_cents"], r["vat_cents"], r["net_cents"], r["vat_rate"]) for r in lines][1] == (
        "service_charge", 499, 69, 430, "16")


def test_payments_not_matching_the_goods_is_a_source_error():
    purchase = copy.deepcopy(EXAMPLE4_SWISH)
    purchase["payments"][0]["amount"] = 69000
    with pytest.raises(SourceDataError) as err:
        parse_purchase(sek("2020-12-15"), purchase)
    assert str(err.value) == ("[source] tenant boutique-zettle, day 2020-12-15, record "
                              "589c2de6-3ee4-11eb-9e70-a2ac075b17fd, field payments: payments (excluding gratuity) "
                              "total 69000 but the goods total 70000")


def test_bad_vat_percentage_names_the_row():
    purchase = copy.deepcopy(EXAMPLE4_SWISH)
    purchase["products"][0]["vatPercentage"] = "vingt"
    with pytest.raises(SourceDataError, match=r"record 589c2de6-3ee4-11eb-9e70-a2ac075b17fd, field "
                       r"products\[0\]\.vatPercentage: not a VAT rate: 'vingt'"):
        parse_purchase(sek("2020-12-15"), purchase)


def test_zettle_timestamps():
    assert parse_timestamp("2019-12-03T17:05:06.123+0000").isoformat() == "2019-12-03T17:05:06.123000+00:00"
    assert parse_timestamp("2021-01-13T21:34:22.069+0100").utcoffset().total_seconds() == 3600
