"""The pure Toporder parser: the documented example to exact frames, generator days to their
ground truth, and the exact errors a till gets for a bad file."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from core.errors import SourceDataError
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    Payments,
    SalesLines,
    make_frame,
)
from emulators.generator import expected_frames, frame_differences, generate_day
from emulators.toporder_files import closure_from_simday
from resources.sources.toporder.parser import french_vat_rates, parse_closure
from resources.tenants import TenantConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "toporder-format.md"


def documented_example() -> dict:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Complete example", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S).group(1)
    return json.loads(block, parse_float=Decimal)


def tenant(**settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "petit-zinc", "name": "Le Petit Zinc", "siret": "73282932000074",
        "start_date": "2026-03-01", "source": {"type": "toporder", "settings": settings},
        "pennylane": {"token_env": "PENNYLANE_TOKEN_ZINC"},
    })


def _line(order, line_id, product, category, qty, net, rate, vat, gross, refund=False):
    return {"order_id": order, "line_id": line_id, "location": "paris-11", "kind": "item",
            "product_id": product, "sku": "", "category": category, "quantity": qty,
            "net_cents": net, "vat_rate": rate, "vat_cents": vat, "gross_cents": gross,
            "country": "FR", "is_refund": refund, "currency": "EUR"}


def _pay(order, pid, method, amount, tip=0, refund=False):
    return {"order_id": order, "payment_id": pid, "location": "paris-11", "method": method,
            "amount_cents": amount, "tip_cents": tip, "is_refund": refund, "currency": "EUR"}


def test_documented_example_parses_to_exact_frames():
    day = parse_closure(documented_example(), tenant(), file_name="example.json")

    expected_lines = make_frame([
        _line("T-1001", "T-1001-1", "P-CAFE", "Boissons chaudes", 2.0, 400, "10", 40, 440),
        _line("T-1001", "T-1001-2", "P-CROQUE", "Plats", 1.0, 864, "10", 86, 950),
        _line("T-1001", "T-1001-3", "P-VIN", "Vins", 1.0, 500, "20", 100, 600),
        _line("T-1002", "T-1002-1", "P-EAU", "Vente à emporter", 3.0, 427, "5.5", 23, 450),
        _line("T-1002", "T-1002-2", "P-TARTE", "Desserts", 1.0, 318, "10", 32, 350),
        _line("T-1003", "T-1003-1", "P-VIN", "Vins", -1.0, -500, "20", -100, -600, refund=True),
        _line("T-1004", "T-1004-1", "P-MENU", "Menus", 2.0, 2709, "10", 271, 2980),
        _line("T-1004", "T-1004-2", "P-VIN", "Vins", 1.0, 500, "20", 100, 600),
    ], SALES_LINE_COLUMNS)
    expected_payments = make_frame([
        _pay("T-1001", "T-1001-P1", "Carte Bancaire", 2190, tip=200),
        _pay("T-1002", "T-1002-P1", "Espèces", 800),
        _pay("T-1003", "T-1003-P1", "Espèces", -600, refund=True),
        _pay("T-1004", "T-1004-P1", "Ticket Restaurant", 2500),
        _pay("T-1004", "T-1004-P2", "Carte Bancaire", 1080),
    ], PAYMENT_COLUMNS)
    expected_totals = make_frame([
        {"location": "paris-11", "dimension": "payment", "key": "Carte Bancaire", "amount_cents": 3270,
         "net_cents": 0, "vat_cents": 0},
        {"location": "paris-11", "dimension": "payment", "key": "Espèces", "amount_cents": 200,
         "net_cents": 0, "vat_cents": 0},
        {"location": "paris-11", "dimension": "payment", "key": "Ticket Restaurant", "amount_cents": 2500,
         "net_cents": 0, "vat_cents": 0},
        {"location": "paris-11", "dimension": "vat", "key": "20", "amount_cents": 600, "net_cents": 500,
         "vat_cents": 100},
        {"location": "paris-11", "dimension": "vat", "key": "10", "amount_cents": 4720, "net_cents": 4291,
         "vat_cents": 429},
        {"location": "paris-11", "dimension": "vat", "key": "5.5", "amount_cents": 450, "net_cents": 427,
         "vat_cents": 23},
    ], CLOSURE_COLUMNS)

    pd.testing.assert_frame_equal(day.sales_lines, expected_lines)
    pd.testing.assert_frame_equal(day.payments, expected_payments)
    pd.testing.assert_frame_equal(day.closure_totals, expected_totals)
    SalesLines.validate(day.sales_lines)
    Payments.validate(day.payments)
    ClosureTotals.validate(day.closure_totals)
    assert day.complete and day.waiting_reason is None
    assert day.payment_methods_seen == ["Carte Bancaire", "Espèces", "Ticket Restaurant"]
    assert day.notes == ["closure Z-2026-03-14-01 (paris-11): 4 tickets, 57.70 € TTC"]
    # The frames' invariant: payments = sales TTC + tips (debit = credit).
    assert day.payments.amount_cents.sum() == day.sales_lines.gross_cents.sum() + day.payments.tip_cents.sum()


@pytest.mark.parametrize("profile, seed", [("restaurant", 1), ("bakery", 2), ("shop", 3)])
def test_generator_days_round_trip_to_their_ground_truth(profile, seed):
    """Tickets, refunds, discounts, by-weight quantities and tips survive file → frames exactly."""
    simday = generate_day(profile, date(2026, 3, 14), seed=seed)
    doc = json.loads(json.dumps(closure_from_simday(simday, "k" * 32), default=str), parse_float=Decimal)
    parsed = parse_closure(doc, tenant())
    assert frame_differences(parsed, expected_frames(simday, with_closures=True), closures=True) == []


def test_vat_computed_on_totals_is_spread_so_lines_add_up_to_the_z_report():
    """Three 1.00 € lines at 5.5 %: 5 cents of VAT each per line, but 16 cents on the total."""
    doc = documented_example()
    doc["tickets"] = [{
        "id": "T-1", "closed_at": "2026-03-14T10:00:00+01:00",
        "lines": [{"label": f"Baguette {i}", "quantity": "1", "unit_price_ttc": "1.00", "vat_rate": "5.5",
                   "total_ttc": "1.00"} for i in (1, 2, 3)],
        "payments": [{"method": "Espèces", "amount": "3.00"}],
    }]
    doc["payments_by_method"] = [{"method": "Espèces", "amount": "3.00"}]
    doc["vat_totals"] = [{"rate": "5.5", "net": "2.84", "vat": "0.16", "gross": "3.00"}]
    doc["totals"] = {"net": "2.84", "vat": "0.16", "gross": "3.00", "tips": "0", "payments": "3.00"}
    day = parse_closure(doc, tenant())
    assert day.sales_lines[["line_id", "net_cents", "vat_cents"]].values.tolist() == [
        ["T-1-L1", 94, 6], ["T-1-L2", 95, 5], ["T-1-L3", 95, 5]]


def _errors(doc, **settings) -> SourceDataError:
    with pytest.raises(SourceDataError) as exc:
        parse_closure(doc, tenant(**settings), file_name="closure-412.json")
    return exc.value


def test_malformed_file_error_names_file_ticket_and_every_field():
    doc = documented_example()
    del doc["tickets"][1]["lines"][0]["unit_price_ttc"]
    doc["tickets"][3]["payments"][0]["amount"] = "25.001"
    err = _errors(doc)
    assert err.details["code"] == "invalid_file"
    assert err.record == "ticket T-1002"
    assert err.field_name == "tickets[1].lines[0].unit_price_ttc"
    assert str(err) == (
        "[source] tenant petit-zinc, day 2026-03-14, record ticket T-1002, field "
        "tickets[1].lines[0].unit_price_ttc: closure-412.json: ticket T-1002, field "
        "tickets[1].lines[0].unit_price_ttc: Field required (and 1 more problem)")
    assert [(i["record"], i["field"], i["message"]) for i in err.details["issues"]] == [
        ("ticket T-1002", "tickets[1].lines[0].unit_price_ttc",
         "ticket T-1002, field tickets[1].lines[0].unit_price_ttc: Field required"),
        ("ticket T-1004", "tickets[3].payments[0].amount",
         "ticket T-1004, field tickets[3].payments[0].amount: '25.001' has more than 2 decimals "
         "(amounts are euros with cents)"),
    ]


def test_line_total_that_is_not_price_times_quantity_is_refused():
    doc = documented_example()
    doc["tickets"][0]["lines"][0]["total_ttc"] = "4.20"
    err = _errors(doc)
    assert err.details["issues"][0]["message"] == (
        "ticket T-1001, field tickets[0].lines[0]: total_ttc 4.20 != quantity 2 × unit_price_ttc 2.20 "
        "− discount_ttc 0 = 4.40")


def test_debit_not_equal_credit_in_a_ticket_is_a_source_error():
    doc = documented_example()
    doc["tickets"][1]["payments"][0]["amount"] = "9.00"
    err = _errors(doc)
    assert err.error_class == "source"
    assert err.details["code"] == "debit_not_equal_credit"
    assert err.details["issues"][0]["message"] == (
        "ticket T-1002: debit ≠ credit: payments 9.00 € but sales 8.00 € + tips 0.00 € = 8.00 €")
    codes = [i["code"] for i in err.details["issues"]]
    assert codes == ["debit_not_equal_credit", "payment_totals_mismatch", "totals_mismatch"]


def test_vat_rate_that_does_not_exist_in_france_on_that_date():
    doc = documented_example()
    line = doc["tickets"][0]["lines"][2]
    line["vat_rate"] = "19.6"  # the standard rate until 31 Dec 2013
    err = _errors(doc)
    assert err.details["code"] == "unknown_vat_rate"
    assert err.field_name == "tickets[0].lines[2].vat_rate"
    assert err.details["issues"][0]["message"] == (
        "ticket T-1001, line 3 (Verre de vin rouge): VAT rate 19.6 % does not exist in France on "
        "2026-03-14 (known: 20, 10, 5.5, 2.1, 0)")
    assert french_vat_rates(date(2013, 6, 1)) == {"19.6", "7", "5.5", "2.1", "0"}
    # A Corsican tenant declares its extra rates.
    assert "13" in french_vat_rates(date(2026, 3, 14), ["13"])


def test_totals_by_vat_rate_inconsistent_with_tickets():
    doc = documented_example()
    doc["vat_totals"][1] = {"rate": "10", "net": "41.91", "vat": "4.29", "gross": "46.20"}
    err = _errors(doc)
    assert err.details["code"] == "vat_totals_mismatch"
    assert err.details["issues"][0]["message"] == (
        "vat_totals 10 %: gross 46.20 but the tickets' lines at 10 % add up to 47.20")

    doc = documented_example()
    doc["vat_totals"][1] = {"rate": "10", "net": "42.81", "vat": "4.39", "gross": "47.20"}
    err = _errors(doc)
    assert err.details["issues"][0]["message"] == (
        "vat_totals 10 %: VAT 4.39 is not the VAT of the lines at 10 % (4.29, tolerance 1 cent per line)")


def test_numbers_instead_of_strings_are_read_exactly():
    doc = json.loads(json.dumps(documented_example(), default=str).replace('"21.90"', "21.9"),
                     parse_float=Decimal)
    assert parse_closure(copy.deepcopy(doc), tenant()).payments.amount_cents.iloc[0] == 2190
