"""Blocking checks: outcome, severity and failure cases naming the order, the line and the field."""

from __future__ import annotations

from datetime import date

from core.accounting.checks import check_accounts_mapped, check_balanced, check_vat_rates_known
from core.accounting.mapping import map_period
from tests.accounting.strategies import DAY, NEXT_DAY, pay, payments_frame, sale, sales_frame, tenant


def day_with_lydia():
    lines = sales_frame([sale("A1", "1", 1000, "10", 100), sale("A2", "1", 500, "20", 100)])
    payments = payments_frame([pay("A1", "A1-1", "Lydia", 1100), pay("A2", "A2-1", "Espèces", 600)])
    return lines, payments


def cases(outcome):
    return outcome.failure_cases[["order_id", "line_id", "field", "value", "reason"]].values.tolist()


def test_balanced_entry_passes():
    entry = map_period(tenant(), DAY, NEXT_DAY, *day_with_lydia())
    outcome = check_balanced(entry.lines)
    assert (outcome.passed, outcome.severity, outcome.description) == (True, "ERROR", "1 entry balanced (6 lines)")
    assert outcome.failure_count == 0


def test_unbalanced_and_malformed_lines_are_named():
    entry = map_period(tenant(), DAY, NEXT_DAY, *day_with_lydia())
    lines = entry.lines.copy()
    lines.loc[0, "debit_cents"] = 1000  # Lydia: 11.00 → 10.00
    lines.loc[1, "credit_cents"] = 5  # both sides on the cash line
    outcome = check_balanced(lines)
    assert (outcome.passed, outcome.severity) == (False, "ERROR")
    assert cases(outcome) == [
        ["bistro-2026-11-21", "2", "debit_cents", "600",
         "a line has either a debit or a credit, never both and never neither"],
        ["bistro-2026-11-21", "", "debit_cents", "1600", "debit ≠ credit: debits 16.00 €, credits 17.05 €"],
    ]


def test_vat_rates_known_lists_every_bad_line():
    t = tenant(accounting={"oss": {"registered": True, "accounts": {"DE": {"sales_account": "7071", "vat_account": "445711"}}}})
    lines = sales_frame([
        sale("A1", "1", 1000, "20", 200),
        sale("A1", "2", 1000, "19.6", 196),
        sale("A2", "1", 1000, "20", 200, country="DE"),
        sale("A3", "1", 1000, "21", 210, country="ES"),
        sale("A4", "1", 5000, "0", 0, kind="gift_card"),
    ])
    outcome = check_vat_rates_known(t, lines, DAY)
    assert (outcome.passed, outcome.severity) == (False, "ERROR")
    assert outcome.description == "3 sales line(s) with an unknown or malformed VAT rate"
    assert cases(outcome) == [
        ["A1", "2", "vat_rate", "19.6",
         "unknown VAT rate 19.6 % for FR on 2026-11-21 (known rates: 0, 2.1, 5.5, 10, 20)"],
        ["A2", "1", "vat_rate", "20", "unknown VAT rate 20 % for DE on 2026-11-21 (known rates: 0, 7, 19)"],
        ["A3", "1", "vat_rate", "21",
         "sale delivered to ES at its VAT rate 21 % (OSS) but accounting.oss has no accounts for ES"],
    ]


def test_vat_rates_known_reports_malformed_rates_from_the_schema():
    lines = sales_frame([sale("A1", "9", 1000, "20%", 200)])
    outcome = check_vat_rates_known(tenant(), lines, DAY)
    assert cases(outcome) == [["A1", "9", "vat_rate", "20%", r"str_matches('^\d+(\.\d+)?$')"]]


def test_vat_rates_known_passes_and_uses_the_day():
    lines = sales_frame([sale("A1", "1", 1000, "19.6", 196)])
    assert check_vat_rates_known(tenant(), lines, date(2013, 12, 31)).passed
    assert not check_vat_rates_known(tenant(), lines, date(2014, 1, 1)).passed


def test_accounts_mapped_warns_for_a_normal_tenant():
    t = tenant()
    entry = map_period(t, DAY, NEXT_DAY, *day_with_lydia())
    outcome = check_accounts_mapped(t, entry)
    assert (outcome.passed, outcome.severity) == (False, "WARN")
    assert outcome.description == "payment methods not mapped (booked to 471): 'Lydia'"
    assert cases(outcome) == [
        ["A1", "A1-1", "method", "Lydia", "payment method not mapped: 1 payment(s), 11.00 € booked to 471"],
    ]


def test_accounts_mapped_is_an_error_for_a_strict_tenant():
    mapped = map_period(tenant(), DAY, NEXT_DAY, *day_with_lydia())
    strict = tenant(accounting={"strict": True})
    outcome = check_accounts_mapped(strict, mapped)
    assert (outcome.passed, outcome.severity) == (False, "ERROR")


def test_accounts_mapped_passes_when_everything_is_mapped():
    t = tenant(accounting={"payment_methods": {"Lydia": "5116"}})
    entry = map_period(t, DAY, NEXT_DAY, *day_with_lydia())
    outcome = check_accounts_mapped(t, entry)
    assert (outcome.passed, outcome.description) == (True, "every payment method and category is mapped")
