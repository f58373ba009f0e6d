"""Customers (411) take only timing differences traced to named orders, never a residual.

Rule (issue 9 point 1, DESIGN.md §5; PCG: a receivable is an amount a named customer owes; Code
de commerce R123-173: each entry balances): with a receivables account, an order booked today
and not (fully) paid today is debited to customers for what it still owes, and money received
today for an order with no line today (booked earlier) is credited to customers. Anything else
that makes debits differ from credits beyond the rounding tolerance is a source error
"débit ≠ crédit" (seed 003), whatever the receivables account.
"""

from __future__ import annotations

import pytest

from core.accounting.mapping import map_period
from core.errors import SourceDataError
from tests.accounting.strategies import DAY, NEXT_DAY, ledger, pay, payments_frame, sale, sales_frame, tenant


def shop(**accounting):
    return tenant("boutique", "La Boutique", accounting={"receivables_account": "411000", **accounting})


def test_orders_unpaid_today_and_money_for_earlier_orders_are_traced_to_their_orders():
    """W1 (50.00 net + 10.00 VAT = 60.00) placed today, its card captured tomorrow; W2 (120.00)
    placed today, 20.00 paid today; W0 (placed yesterday) paid today by transfer, 24.00.

    Hand-computed: customers debited 60.00 + 100.00 = 160.00 (2 orders), credited 24.00
    (1 order); money 20.00 card + 24.00 transfer = 44.00; revenue 50.00 + 100.00, VAT 30.00.
    Debits 44.00 + 160.00 = 204.00 = credits 150.00 + 30.00 + 24.00."""
    lines = sales_frame([
        sale("W1", "1", 5000, "20", 1000),
        sale("W2", "1", 10000, "20", 2000),
    ])
    payments = payments_frame([
        pay("W2", "W2-1", "Carte bancaire", 2000),
        pay("W0", "W0-1", "Virement", 2400),
    ])
    entry = map_period(shop(), DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("5115", "Encaissements Carte bancaire", 2000, 0),
        ("512", "Encaissements Virement", 2400, 0),
        ("707", "Ventes TVA 20 %", 0, 15000),
        ("44571", "TVA collectée 20 %", 0, 3000),
        ("411000", "Clients — commandes du jour non encaissées (2 commandes)", 16000, 0),
        ("411000", "Clients — encaissements de commandes antérieures (1 commande)", 0, 2400),
    ]
    assert entry.total_debit_cents == entry.total_credit_cents == 20400
    assert entry.rounding_cents == 0
    assert entry.warnings == [
        "boutique-2026-11-21: orders not paid today, debited to customers (411000): W1 60.00 €, W2 100.00 €",
        "boutique-2026-11-21: money received today for orders of earlier days, credited to customers "
        "(411000): W0 24.00 €",
    ]


def test_excess_cash_on_a_till_day_is_a_source_error_even_with_a_receivables_account():
    """A till day: T1 11.00 paid 11.00 cash, plus 500.00 of cash with no order. Customers may not
    absorb it: no named order explains it."""
    lines = sales_frame([sale("T1", "1", 1000, "10", 100)])
    payments = payments_frame([
        pay("T1", "T1-1", "Espèces", 1100),
        pay("", "Z-1", "Espèces", 50000),
    ])
    with pytest.raises(SourceDataError, match=r"debit ≠ credit: debits 511\.00 €, credits 11\.00 €") as err:
        map_period(shop(), DAY, NEXT_DAY, lines, payments)
    assert err.value.record == "entry boutique-2026-11-21"


def test_an_order_paid_more_than_its_gross_is_not_a_timing_difference():
    """T1 is 11.00 and was paid 511.00 today: the 500.00 is not owed by or to a customer."""
    lines = sales_frame([sale("T1", "1", 1000, "10", 100), sale("T2", "1", 2000, "20", 400)])
    payments = payments_frame([pay("T1", "T1-1", "Espèces", 51100)])
    with pytest.raises(SourceDataError, match=r"debit ≠ credit: debits 535\.00 €, credits 35\.00 € "
                                              r"\(difference 500\.00 €.*named orders \(T2 24\.00 €\)"):
        map_period(shop(), DAY, NEXT_DAY, lines, payments)


def test_a_refund_booked_today_and_paid_back_later_is_owed_to_the_customer():
    """R1 refunds 12.00 (10.00 + 2.00 VAT) today; the money goes back tomorrow: customers credited."""
    lines = sales_frame([sale("R1", "1", -1000, "20", -200, is_refund=True)])
    entry = map_period(shop(), DAY, NEXT_DAY, lines, payments_frame([]))
    assert ledger(entry) == [
        ("707", "Ventes TVA 20 %", 1000, 0),
        ("44571", "TVA collectée 20 %", 200, 0),
        ("411000", "Clients — commandes du jour non encaissées (1 commande)", 0, 1200),
    ]


def test_without_a_receivables_account_an_unpaid_order_is_a_source_error():
    lines = sales_frame([sale("W1", "1", 5000, "20", 1000)])
    payments = payments_frame([pay("W0", "W0-1", "Virement", 2400)])
    with pytest.raises(SourceDataError, match=r"debit ≠ credit: debits 24\.00 €, credits 60\.00 €"):
        map_period(tenant("boutique", "La Boutique"), DAY, NEXT_DAY, lines, payments)


def test_per_location_each_entry_takes_the_timing_differences_of_its_own_orders():
    lines = sales_frame([
        sale("P1", "1", 1000, "20", 200, location="Paris"),
        sale("L1", "1", 2000, "20", 400, location="Lyon"),
    ])
    payments = payments_frame([pay("L1", "L1-1", "CB", 2400, location="Lyon")])
    entry = map_period(shop(per_location=True), DAY, NEXT_DAY, lines, payments)
    paris = next(e.entry_key for e in entry.entries if e.location == "Paris")
    lyon = next(e.entry_key for e in entry.entries if e.location == "Lyon")
    assert ledger(entry.entry_lines(paris)) == [
        ("707", "Ventes TVA 20 %", 0, 1000),
        ("44571", "TVA collectée 20 %", 0, 200),
        ("411000", "Clients — commandes du jour non encaissées (1 commande)", 1200, 0),
    ]
    assert ledger(entry.entry_lines(lyon)) == [
        ("5115", "Encaissements CB", 2400, 0),
        ("707", "Ventes TVA 20 %", 0, 2000),
        ("44571", "TVA collectée 20 %", 0, 400),
    ]
