"""VAT rates are dated data: the rate of the business day decides, not today's."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.accounting.vat_rates import (
    EU_COUNTRIES,
    VAT_RATES,
    canonical_rate,
    format_rate_fr,
    is_known_rate,
    pennylane_vat_code,
    rates_for,
    taxation_for,
)


def test_french_rates_today_are_the_five_of_the_cgi():
    assert rates_for("FR", date(2026, 11, 21)) == {"0", "2.1", "5.5", "10", "20"}


def test_french_rates_before_2014_were_19_6_and_7():
    assert rates_for("FR", date(2013, 12, 31)) == {"0", "2.1", "5.5", "7", "19.6"}
    assert is_known_rate("FR", "19.6", date(2013, 12, 31))
    assert not is_known_rate("FR", "19.6", date(2014, 1, 1))
    assert is_known_rate("FR", "20", date(2014, 1, 1))


def test_rate_text_is_compared_exactly_not_as_a_fraction():
    day = date(2026, 11, 21)
    assert is_known_rate("FR", "5.50", day)
    assert is_known_rate("FR", "20.0", day)
    assert not is_known_rate("FR", "0.2", day)  # canonical frames hold percents
    assert not is_known_rate("FR", "abc", day)
    assert canonical_rate("0.9") == "0.9"


def test_regional_rates_only_on_request():
    day = date(2026, 11, 21)
    assert not is_known_rate("FR", "8.5", day)
    assert is_known_rate("FR", "8.5", day, include_regional=True)
    assert is_known_rate("FR", "0.9", day, include_regional=True)


@pytest.mark.parametrize(
    ("country", "rate", "last_day_before", "first_day_after", "new_rate"),
    [
        ("EE", "22", date(2025, 6, 30), date(2025, 7, 1), "24"),
        ("RO", "19", date(2025, 7, 31), date(2025, 8, 1), "21"),
        ("RO", "9", date(2025, 7, 31), date(2025, 8, 1), "11"),
        ("SK", "20", date(2024, 12, 31), date(2025, 1, 1), "23"),
        ("FI", "24", date(2024, 8, 31), date(2024, 9, 1), "25.5"),
        ("FI", "14", date(2024, 12, 31), date(2025, 1, 1), "13.5"),
        ("LT", "9", date(2025, 12, 31), date(2026, 1, 1), "12"),
        ("CZ", "15", date(2023, 12, 31), date(2024, 1, 1), "12"),
        ("LU", "16", date(2023, 12, 31), date(2024, 1, 1), "17"),
    ],
)
def test_rate_changes_take_effect_on_their_date(country, rate, last_day_before, first_day_after, new_rate):
    assert is_known_rate(country, rate, last_day_before)
    assert not is_known_rate(country, rate, first_day_after)
    assert is_known_rate(country, new_rate, first_day_after)
    assert not is_known_rate(country, new_rate, last_day_before)


def test_germany_2020_temporary_cut():
    assert rates_for("DE", date(2020, 8, 1)) == {"0", "5", "16"}
    assert rates_for("DE", date(2021, 1, 1)) == {"0", "7", "19"}


def test_a_month_accepts_a_rate_in_force_on_any_of_its_days():
    assert is_known_rate("EE", "22", date(2025, 7, 1), date(2025, 7, 31)) is False
    assert is_known_rate("EE", "22", date(2025, 6, 1), date(2025, 6, 30))
    assert is_known_rate("RO", "19", date(2025, 8, 1), date(2025, 8, 31)) is False


def test_every_eu_country_has_a_standard_rate_today():
    day = date(2026, 11, 21)
    with_standard = {p.country for p in VAT_RATES if p.kind == "standard" and p.in_force(day)}
    assert with_standard == set(EU_COUNTRIES)
    assert len(EU_COUNTRIES) == 27


def test_unknown_country_has_no_rates():
    assert rates_for("US", date(2026, 11, 21)) == set()


@pytest.mark.parametrize(
    ("country", "rate", "code"),
    [
        ("FR", "20", "FR_200"), ("FR", "5.5", "FR_55"), ("FR", "2.1", "FR_21"), ("FR", "10", "FR_100"),
        ("DE", "19", "DE_190"), ("DE", "7", "DE_70"), ("FR", "0", "exempt"), ("FR", "0.9", "FR_09"),
        ("FR", "1.05", "FR_1_05"), ("FI", "25.5", "FI_255"), ("IE", "13.5", "IE_135"),
    ],
)
def test_pennylane_vat_code(country, rate, code):
    assert pennylane_vat_code(country, rate) == code


def test_pennylane_codes_exist_in_the_spec_enum(pennylane_spec_document):
    """Every rate in the table has a Pennylane code, except a few Pennylane does not list."""
    spec = json.loads(pennylane_spec_document.read_text())
    enum = set(spec["components"]["schemas"]["VatRateWithMixed"]["enum"])
    codes = {pennylane_vat_code(p.country, p.rate) for p in VAT_RATES}
    # Historical COVID rates, FR 7 % (2012-13) and EE's 2025 accommodation rate: not in Pennylane.
    assert codes - enum == {"AT_50", "DE_50", "DE_160", "FR_70", "EE_130"}


def test_french_rate_labels():
    assert format_rate_fr("5.5") == "5,5 %"
    assert format_rate_fr("20") == "20 %"


def test_taxation_home_oss_and_below_threshold():
    day = date(2026, 11, 21)
    assert taxation_for("FR", "FR", "20", set(), day).country == "FR"
    oss = taxation_for("FR", "DE", "19", {"DE"}, day)
    assert (oss.country, oss.oss, oss.problem_kind) == ("DE", True, None)
    home = taxation_for("FR", "BE", "20", set(), day)  # below the OSS threshold: French VAT
    assert (home.country, home.oss, home.problem_kind) == ("FR", False, None)
    missing = taxation_for("FR", "ES", "21", set(), day)
    assert missing.problem_kind == "no_oss_accounts"
    assert missing.problem == "sale delivered to ES at its VAT rate 21 % (OSS) but accounting.oss has no accounts for ES"
    wrong = taxation_for("FR", "DE", "20", {"DE"}, day)
    assert wrong.problem == "unknown VAT rate 20 % for DE on 2026-11-21 (known rates: 0, 7, 19)"
    export = taxation_for("FR", "US", "0", set(), day)
    assert (export.country, export.problem_kind) == ("FR", None)
