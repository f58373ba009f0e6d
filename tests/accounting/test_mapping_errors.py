"""What stops an entry, with the exact message the data team / accountant / till will read."""

from __future__ import annotations

from datetime import date

import pytest

from core.accounting.mapping import map_period
from core.errors import MappingError, SourceDataError
from tests.accounting.strategies import (
    DAY,
    NEXT_DAY,
    closure,
    closure_frame,
    pay,
    payments_frame,
    sale,
    sales_frame,
    tenant,
)


def one_sale(rate: str = "20", vat: int = 200, **kw):
    lines = sales_frame([sale("T42", "3", 1000, rate, vat, **kw)])
    payments = payments_frame([pay("T42", "T42-1", "CB", 1000 + vat)])
    return lines, payments


def test_unknown_french_rate_names_order_line_and_field():
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, *one_sale("19.6", 196))
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record order T42 line 3, field vat_rate: "
        "unknown VAT rate 19.6 % for FR on 2026-11-21 (known rates: 0, 2.1, 5.5, 10, 20)"
    )
    assert err.value.error_class == "source"


def test_rate_not_in_force_on_that_day():
    with pytest.raises(SourceDataError, match=r"unknown VAT rate 20 % for FR on 2013-06-03"):
        map_period(tenant(), date(2013, 6, 3), date(2013, 6, 4), *one_sale("20", 200))
    entry = map_period(tenant(), date(2013, 6, 3), date(2013, 6, 4), *one_sale("19.6", 196))
    assert entry.total_debit_cents == 1196


def test_oss_rate_that_does_not_exist_in_the_destination_country():
    t = tenant("thes-du-monde", "Thés du Monde", frequency="monthly",
               accounting={"oss": {"registered": True, "accounts": {"DE": {"sales_account": "7071", "vat_account": "445711"}}}})
    lines, payments = one_sale("20", 200, country="DE")
    with pytest.raises(SourceDataError) as err:
        map_period(t, date(2026, 10, 1), date(2026, 11, 1), lines, payments)
    assert str(err.value) == (
        "[source] tenant thes-du-monde, day 2026-10-01, record order T42 line 3, field vat_rate: "
        "unknown VAT rate 20 % for DE between 2026-10-01 and 2026-10-31 (known rates: 0, 7, 19)"
    )


def test_distance_sale_at_a_foreign_rate_without_oss_accounts_is_a_mapping_error():
    with pytest.raises(MappingError) as err:
        map_period(tenant(), DAY, NEXT_DAY, *one_sale("21", 210, country="ES"))
    assert str(err.value) == (
        "[mapping] tenant bistro, day 2026-11-21, record order T42 line 3, field country: "
        "sale delivered to ES at its VAT rate 21 % (OSS) but accounting.oss has no accounts for ES"
    )


def test_debit_not_equal_credit_beyond_tolerance():
    lines = sales_frame([sale("B1", "1", 2500, "20", 500), sale("B2", "1", 4000, "20", 800)])
    payments = payments_frame([pay("B1", "B1-1", "Espèces", 3005), pay("B2", "B2-1", "CB", 4800)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant("boutique", "La Boutique"), DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[source] tenant boutique, day 2026-11-21, record entry boutique-2026-11-21, field amount_cents: "
        "debit ≠ credit: debits 78.05 €, credits 78.00 € (difference 0.05 €, rounding tolerance "
        "0.04 € = 4 lines × 1 cent)"
    )
    assert err.value.details == {"debit_cents": 7805, "credit_cents": 7800}


def test_zero_tolerance_rejects_a_single_cent():
    lines = sales_frame([sale("B1", "1", 2500, "20", 500)])
    payments = payments_frame([pay("B1", "B1-1", "Espèces", 2999)])
    t = tenant("boutique", "La Boutique", accounting={"rounding_tolerance_cents_per_line": 0})
    with pytest.raises(SourceDataError, match=r"debits 29\.99 €, credits 30\.00 € \(difference -0\.01 €"):
        map_period(t, DAY, NEXT_DAY, lines, payments)


def test_strict_tenant_fails_on_unknown_payment_methods():
    lines = sales_frame([sale("A1", "1", 1000, "10", 100), sale("A2", "1", 2000, "10", 200)])
    payments = payments_frame([
        pay("A1", "A1-1", "Lydia", 1100), pay("A2", "A2-1", "Paygreen", 1200), pay("A2", "A2-2", "CB", 1000),
    ])
    t = tenant(accounting={"strict": True})
    with pytest.raises(MappingError) as err:
        map_period(t, DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[mapping] tenant bistro, day 2026-11-21, record order A1 payment A1-1, field method: "
        "payment methods not mapped (strict mode): 'Lydia', 'Paygreen'; add them to accounting.payment_methods"
    )
    assert err.value.details == {"methods": ["Lydia", "Paygreen"]}


def test_strict_tenant_fails_on_unknown_categories():
    t = tenant(accounting={"strict": True, "sales_by": "category",
                           "sales_accounts_by_category": {"Plats": "706"}})
    lines = sales_frame([
        sale("A1", "1", 1000, "10", 100, category="Plats"),
        sale("A1", "2", 500, "20", 100, category="Vins"),
        sale("A1", "3", 300, "10", 30),
    ])
    payments = payments_frame([pay("A1", "A1-1", "CB", 2030)])
    with pytest.raises(MappingError) as err:
        map_period(t, DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[mapping] tenant bistro, day 2026-11-21, record order A1 line 3, field category: "
        "product categories not mapped (strict mode): '', 'Vins'; add them to "
        "accounting.sales_accounts_by_category"
    )


def test_closure_payment_total_mismatch_names_the_method_and_both_amounts():
    lines, payments = one_sale()
    z = closure_frame([closure("payment", "CB", 1000), closure("vat", "20", 1200, 1000, 200)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments, z)
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record closure payment CB, field amount_cents: "
        "closure total for payment method 'CB' is 10.00 € but the payments sum to 12.00 €"
    )


def test_closure_vat_total_mismatch_names_the_rate_and_both_amounts():
    lines, payments = one_sale()
    z = closure_frame([closure("payment", "CB", 1200), closure("vat", "20", 1200, 1010, 190),
                       closure("vat", "10", 550, 500, 50)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments, z)
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record closure vat 10, field amount_cents: "
        "closure total at VAT rate 10 % is 5.50 € incl. VAT but the sales lines sum to 0.00 € "
        "(and 1 other mismatch(es))"
    )
    assert err.value.details["mismatches"][1] == (
        "closure VAT at VAT rate 20 % is 1.90 € but the sales lines sum to 2.00 €"
    )


def test_malformed_line_is_a_source_error_naming_the_field():
    lines = sales_frame([sale("A1", "7", 1000, "20", 200, gross_cents=1250)])
    payments = payments_frame([pay("A1", "A1-1", "CB", 1250)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record order A1 line 7, field gross_cents: "
        "invalid sales line: gross_cents must equal net_cents + vat_cents (value '1250')"
    )


def test_unknown_line_kind_and_bad_rate_text():
    lines = sales_frame([sale("A1", "7", 1000, "20%", 200, kind="voucher")])
    payments = payments_frame([pay("A1", "A1-1", "CB", 1200)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert err.value.record == "order A1 line 7"
    assert {c["field"] for c in err.value.details["failure_cases"]} == {"kind", "vat_rate"}


def test_wrong_currency():
    lines, payments = one_sale(currency="USD")
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record order T42 line 3, field currency: "
        "currency USD differs from the tenant's EUR"
    )


def test_gift_card_sold_with_vat_is_refused():
    lines = sales_frame([sale("G1", "1", 5000, "20", 1000, kind="gift_card")])
    payments = payments_frame([pay("G1", "G1-1", "CB", 6000)])
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert str(err.value) == (
        "[source] tenant bistro, day 2026-11-21, record order G1 line 1, field vat_cents: "
        "a gift card sold carries no VAT (a liability, not revenue) but the line has 10.00 € of VAT"
    )
