"""VAT amounts against their rate, and 0 % only under a declared exemption (issue 9 points 2, 3).

Rules: the VAT of a line is its taxable base times its rate (CGI art. 266, 278 ff.); a line whose
VAT does not match is a blocking source error naming the order, the line, the rate, the expected
and the received VAT, with a tolerance of the rounding of one line (one cent), or of one
(order, rate) when the source rounds per order. A sale carries VAT unless an exemption applies:
franchise en base (CGI art. 293 B), export outside the EU (CGI art. 262 I), intra-EU supply to a
business with a VAT number (CGI art. 262 ter I), an exempt activity (CGI art. 261), a territory
without VAT (CGI art. 294).
"""

from __future__ import annotations

import pytest

from core.accounting.mapping import map_period
from core.errors import SourceDataError
from tests.accounting.strategies import DAY, NEXT_DAY, ledger, pay, payments_frame, sale, sales_frame, tenant


def one_order(*lines: dict, method: str = "CB"):
    frame = sales_frame(list(lines))
    return frame, payments_frame([pay(lines[0]["order_id"], "P1", method, int(frame["gross_cents"].sum()))])


# --- point 2: VAT amount against rate -----------------------------------------------------------


def test_a_line_whose_vat_is_not_its_rate_fails_naming_order_line_rate_and_amounts():
    """100.00 net at 20 % is 20.00 of VAT; the source sent 5.00."""
    lines, payments = one_order(sale("A7", "3", 10000, "20", 500))
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    e = err.value
    assert str(e) == (
        "[source] tenant bistro, day 2026-11-21, record order A7 line 3, field vat_cents: VAT does not "
        "match its rate: order A7 line 3 has a net of 100.00 € at 20 %, so 20.00 € of VAT, but the source "
        "gives 5.00 € (tolerance 0.01 €, the rounding of one line)")
    assert (e.details["rate"], e.details["expected_vat_cents"], e.details["received_vat_cents"]) == ("20", 2000, 500)


def test_vat_within_the_rounding_of_its_line_posts_as_the_source_gave_it():
    """8.33 net at 20 % is 1.666 → 1.67; a till computing from the gross (10.00 − 10.00/1.2 = 1.67,
    net 8.33) or from a rounded unit price may give 1.66: one cent, accepted and posted as given."""
    lines, payments = one_order(sale("A1", "1", 833, "20", 166), sale("A1", "2", 1000, "5.5", 55))
    entry = map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 2054, 0),
        ("707", "Ventes TVA 5,5 %", 0, 1000),
        ("707", "Ventes TVA 20 %", 0, 833),
        ("44571", "TVA collectée 5,5 %", 0, 55),
        ("44571", "TVA collectée 20 %", 0, 166),
    ]


def test_a_refund_line_is_checked_with_its_sign():
    """A refund of 10.00 net at 20 % returns 2.00 of VAT, not 1.50."""
    lines = sales_frame([sale("R1", "1", -1000, "20", -150, is_refund=True)])
    payments = payments_frame([pay("R1", "P1", "CB", -1150, is_refund=True)])
    with pytest.raises(SourceDataError, match=r"net of -10\.00 € at 20 %, so -2\.00 € of VAT, but the "
                                              r"source gives -1\.50 €"):
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)


def test_a_source_rounding_per_order_is_checked_per_order_and_rate():
    """The source computes 20 % once on the order (20.00 net → 4.00) and puts it on the first line.
    Per line that is 4.00 and 0.00 for 2.00 each: refused; with ``vat_rounding: order`` the
    order's 4.00 is its rate's, and the day posts the source's amounts."""
    lines, payments = one_order(sale("S1", "1", 1000, "20", 400), sale("S1", "2", 1000, "20", 0))
    with pytest.raises(SourceDataError, match=r"order S1 line 1 has a net of 10\.00 € at 20 %, so 2\.00 €"):
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    entry = map_period(tenant(accounting={"vat_rounding": "order"}), DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 2400, 0),
        ("707", "Ventes TVA 20 %", 0, 2000),
        ("44571", "TVA collectée 20 %", 0, 400),
    ]


def test_per_order_rounding_still_refuses_an_order_whose_vat_is_wrong():
    lines, payments = one_order(sale("S2", "1", 1000, "20", 300), sale("S2", "2", 1000, "20", 0))
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(accounting={"vat_rounding": "order"}), DAY, NEXT_DAY, lines, payments)
    assert "order S2 (lines at this rate, from line 1) has a net of 20.00 € at 20 %, so 4.00 € of VAT, " \
           "but the source gives 3.00 €" in str(err.value)


# --- point 3: 0 % only under a declared exemption ----------------------------------------------


def test_a_domestic_retail_sale_at_zero_percent_is_a_source_error():
    lines, payments = one_order(sale("B1", "1", 2000, "20", 400), sale("B1", "2", 1500, "0", 0, category="Épicerie"))
    with pytest.raises(SourceDataError) as err:
        map_period(tenant(), DAY, NEXT_DAY, lines, payments)
    assert err.value.record == "order B1 line 2"
    assert err.value.field_name == "vat_rate"
    assert "a sale at 0 % VAT without a declared exemption" in str(err.value)


def test_franchise_en_base_posts_revenue_without_vat():
    """CGI 293 B: no VAT on any sale; 15.00 of revenue, no VAT line."""
    t = tenant(accounting={"vat_exemptions": {"regimes": ["franchise_en_base"]}})
    lines, payments = one_order(sale("F1", "1", 1500, "0", 0))
    assert ledger(map_period(t, DAY, NEXT_DAY, lines, payments)) == [
        ("5115", "Encaissements CB", 1500, 0),
        ("707", "Ventes TVA 0 %", 0, 1500),
    ]


def test_export_is_zero_rated_only_outside_the_eu():
    t = tenant(accounting={"vat_exemptions": {"regimes": ["export"]}})
    lines, payments = one_order(sale("X1", "1", 4000, "0", 0, country="CH"))
    assert ledger(map_period(t, DAY, NEXT_DAY, lines, payments)) == [
        ("5115", "Encaissements CB", 4000, 0),
        ("707", "Ventes TVA 0 %", 0, 4000),
    ]
    lines, payments = one_order(sale("X2", "1", 4000, "0", 0, country="FR"))
    with pytest.raises(SourceDataError, match="order X2 line 1"):
        map_period(t, DAY, NEXT_DAY, lines, payments)


def test_intra_eu_b2b_needs_the_buyers_vat_number():
    t = tenant(accounting={"vat_exemptions": {"regimes": ["intra_eu_b2b"]}})
    lines, payments = one_order(sale("E1", "1", 9000, "0", 0, country="DE", buyer_vat_id="DE123456789"),
                                method="Virement")
    assert ledger(map_period(t, DAY, NEXT_DAY, lines, payments)) == [
        ("512", "Encaissements Virement", 9000, 0),
        ("707", "Ventes TVA 0 %", 0, 9000),
    ]
    lines, payments = one_order(sale("E2", "1", 9000, "0", 0, country="DE"), method="Virement")
    with pytest.raises(SourceDataError, match="order E2 line 1"):
        map_period(t, DAY, NEXT_DAY, lines, payments)


def test_an_exempt_category_declared_with_its_legal_basis():
    t = tenant(accounting={"vat_exemptions": {"categories": {"Formation": "CGI art. 261-4-4° a"}}})
    lines, payments = one_order(sale("C1", "1", 30000, "0", 0, category="Formation"),
                                sale("C1", "2", 1000, "20", 200, category="Support"))
    assert ledger(map_period(t, DAY, NEXT_DAY, lines, payments)) == [
        ("5115", "Encaissements CB", 31200, 0),
        ("707", "Ventes TVA 0 %", 0, 30000),
        ("707", "Ventes TVA 20 %", 0, 1000),
        ("44571", "TVA collectée 20 %", 0, 200),
    ]


def test_an_exempt_category_needs_its_legal_basis():
    with pytest.raises(ValueError, match="give the legal basis"):
        tenant(accounting={"vat_exemptions": {"categories": {"Formation": " "}}})
