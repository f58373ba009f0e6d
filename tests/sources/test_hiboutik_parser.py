"""Hiboutik parser on payloads shaped like real Hiboutik sales.

Shape source: the sale payload pasted field by field in the public Dokos connector
(``opossum/.../hiboutik.py``: ``sale_id, created_at, completed_at, store_id, …, total, payment,
line_items[{line_item_id, product_id, quantity, product_price, vat "0.200", discount, credit_note,
line_item_id_return, item_total_net, item_total_gross, item_total_tax, tax_label, tax_value 20,
product_model, product_barcode, product_category, products_ref_ext}], sale_total_net/tax/gross,
taxes[]``) and ``payment_details[{payment_detail_id, payment_type, payment_amount}]`` for split
("DIV") payments as read by ``zuher83/hiboutik_connector``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.errors import SourceDataError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, make_frame
from resources.sources.hiboutik.parser import open_sales_of_day, parse_day
from resources.tenants import TenantConfig

DAY = date(2025, 3, 14)
CATEGORIES = {"3": "Épicerie", "4": "Art de la table", "9": "Pourboires"}


def tenant(**settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "comptoir-hb", "name": "Comptoir HB", "siret": "55208131766522", "start_date": "2025-01-01",
        "source": {"type": "hiboutik", "base_url": "https://comptoir.hiboutik.com/api",
                   "credentials": {"user": "HB_USER", "api_key": "HB_KEY"},
                   "settings": {"store_id": 1, "tip_skus": ["POURBOIRE"], **settings}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


def item(line_id, product_id, ref, model, cat, qty, unit, gross, net, tax, tax_value, vat, *, discount="0.00",
         returned=0):
    return {"line_item_id": line_id, "detail_commande_id": line_id, "product_id": product_id, "product_size": 0,
            "quantity": qty, "product_price": unit, "product_currency": "EUR", "vat": vat, "package": 0,
            "points": 0, "discount": discount, "stock_withdrawal": 1, "credit_note": 0, "credit_note_id": 0,
            "product_comments": "", "serial_number": "", "line_item_id_return": returned, "date_return": 0,
            "item_discount_gross": discount, "item_total_net": net, "item_total_gross": gross,
            "item_total_tax": tax, "tax_label": f"TVA {tax_value}%", "tax_value": tax_value,
            "product_model": model, "product_barcode": "", "product_brand": 0, "product_supplier": 0,
            "product_category": cat, "products_ref_ext": ref, "tags": [], "modifiers": []}


def sale(sale_id, completed, total, payment, items, details=None):
    body = {"sale_id": sale_id, "created_at": completed, "completed_at": completed, "store_id": 1,
            "vendor_id": 1, "unique_sale_id": f"T{sale_id}", "customer_id": 0, "currency": "EUR",
            "total": total, "billing_address": 0, "shipping_address": 0, "payment": payment,
            "without_taxes": 0, "prices_without_taxes": 0, "ressource_id": 0, "points": 0,
            "service_charge": "0.00", "guests_number": 0, "takeaway": 0, "date_z": 0, "line_items": items,
            "closed_day": 0, "payment_accounting_account": "", "warehouse_id": 1}
    if details is not None:
        body["payment_details"] = details
    return body


def hand_day_sales() -> list[dict]:
    """2025-03-14: a split payment with a tip, a 10 % discount, two VAT rates, a refund of the 12th."""
    return [
        sale(2001, "2025-03-14 10:15:02", "42.11", "DIV", [
            item(9001, 101, "THE-VERT-100", "Thé vert Sencha 100 g", 3, 2, "12.90", "25.80", "24.45", "1.35",
                 5.5, "0.055"),
            item(9002, 105, "TASSE", "Tasse en grès", 4, 1, "15.90", "14.31", "11.92", "2.39", 20, "0.200",
                 discount="1.59"),
            item(9003, 150, "POURBOIRE", "Pourboire", 9, 1, "2.00", "2.00", "2.00", "0.00", 0, "0.000"),
        ], details=[{"payment_detail_id": 7001, "payment_type": "CB", "payment_amount": "30.00"},
                    {"payment_detail_id": 7002, "payment_type": "ESP", "payment_amount": "12.11"}]),
        sale(2002, "2025-03-14 16:40:51", "-6.90", "ESP", [
            item(9004, 102, "CONFITURE", "Confiture abricot 340 g", 3, -1, "6.90", "-6.90", "-6.54", "-0.36",
                 5.5, "0.055", returned=8800),
        ]),
        sale(2003, "2025-03-14 09:05:40", "4.95", "CB", [
            item(9005, 103, "CHOCO-NOIR", "Tablette chocolat noir 72 %", 3, 1, "4.95", "4.95", "4.69", "0.26",
                 5.5, "0.055"),
        ]),
    ]


def hand_day_expected() -> tuple[pd.DataFrame, pd.DataFrame]:
    def line(order, lid, pid, sku, cat, qty, net, rate, vat, refund=False):
        return {"order_id": order, "line_id": lid, "location": "1", "kind": "item", "product_id": pid,
                "sku": sku, "category": cat, "quantity": qty, "net_cents": net, "vat_rate": rate,
                "vat_cents": vat, "gross_cents": net + vat, "country": "FR", "is_refund": refund,
                "currency": "EUR"}

    def pay(order, pid, method, amount, tip=0):
        return {"order_id": order, "payment_id": pid, "location": "1", "method": method,
                "amount_cents": amount, "tip_cents": tip, "is_refund": amount < 0, "currency": "EUR"}

    lines = make_frame([
        line("2001", "9001", "101", "THE-VERT-100", "Épicerie", 2.0, 2445, "5.5", 135),
        line("2001", "9002", "105", "TASSE", "Art de la table", 1.0, 1192, "20", 239),
        line("2002", "9004", "102", "CONFITURE", "Épicerie", -1.0, -654, "5.5", -36, refund=True),
        line("2003", "9005", "103", "CHOCO-NOIR", "Épicerie", 1.0, 469, "5.5", 26),
    ], SALES_LINE_COLUMNS)
    payments = make_frame([
        pay("2001", "7001", "CB", 3000),
        pay("2001", "7002", "ESP", 1211, tip=200),
        pay("2002", "2002", "ESP", -690),
        pay("2003", "2003", "CB", 495),
    ], PAYMENT_COLUMNS)
    return lines, payments


def test_hand_computed_day_parses_to_exact_frames():
    day = parse_day(hand_day_sales(), categories=CATEGORIES, tenant=tenant(), day=DAY,
                    tip_skus=frozenset({"POURBOIRE"}))
    lines, payments = hand_day_expected()
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert day.payments.amount_cents.sum() == day.sales_lines.gross_cents.sum() + day.payments.tip_cents.sum()


def test_without_tip_skus_a_tip_product_stays_a_zero_rate_sale():
    day = parse_day(hand_day_sales(), categories=CATEGORIES, tenant=tenant(), day=DAY)
    tip_line = day.sales_lines[day.sales_lines.sku == "POURBOIRE"].iloc[0]
    assert (tip_line.gross_cents, tip_line.vat_rate, tip_line.category) == (200, "0", "Pourboires")
    assert day.payments.tip_cents.sum() == 0


def test_split_parts_not_adding_up_is_a_source_error():
    sales = hand_day_sales()
    sales[0]["payment_details"][1]["payment_amount"] = "12.00"
    with pytest.raises(SourceDataError) as exc:
        parse_day(sales, categories=CATEGORIES, tenant=tenant(), day=DAY, tip_skus=frozenset({"POURBOIRE"}))
    assert str(exc.value) == ("[source] tenant comptoir-hb, day 2025-03-14, record 2001, field payment_details: "
                              "split payment parts add up to 4200 cents, the sale total is 42.11")


def test_line_totals_that_do_not_add_up_name_the_line():
    sales = hand_day_sales()
    sales[2]["line_items"][0]["item_total_tax"] = "0.25"
    with pytest.raises(SourceDataError) as exc:
        parse_day(sales, categories=CATEGORIES, tenant=tenant(), day=DAY)
    assert str(exc.value) == ("[source] tenant comptoir-hb, day 2025-03-14, record 2003/9005, field "
                              "item_total_gross: item_total_net 4.69 + item_total_tax 0.25 != item_total_gross 4.95")


def test_tax_value_and_vat_disagreeing_is_a_source_error():
    sales = hand_day_sales()
    sales[2]["line_items"][0]["vat"] = "0.100"
    with pytest.raises(SourceDataError) as exc:
        parse_day(sales, categories=CATEGORIES, tenant=tenant(), day=DAY)
    assert (exc.value.record, exc.value.field_name) == ("2003/9005", "vat")


def test_a_taxed_tip_line_is_refused():
    sales = hand_day_sales()
    tip = sales[0]["line_items"][2]
    tip.update(item_total_net="1.67", item_total_tax="0.33", tax_value=20, vat="0.200")
    with pytest.raises(SourceDataError, match="tip line 'POURBOIRE' carries VAT"):
        parse_day(sales, categories=CATEGORIES, tenant=tenant(), day=DAY, tip_skus=frozenset({"POURBOIRE"}))


def test_open_sales_of_the_day_are_found_by_local_creation_date():
    rows = [{"sale_id": 3001, "created_at": "2025-03-14 18:59:00", "completed_at": "0000-00-00 00:00:00"},
            {"sale_id": 2950, "created_at": "2025-03-02 11:00:00", "completed_at": "0000-00-00 00:00:00"}]
    assert open_sales_of_day(rows, DAY) == ["3001"]
