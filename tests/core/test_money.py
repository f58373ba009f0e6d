"""core.money: the one place integer cents become text and text becomes cents, exactly."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import amount_to_cents, cents_to_amount, cents_to_french, cents_to_text

CENTS = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(("cents", "amount", "text"), [
    (0, "0.00", "0.00 €"),
    (5, "0.05", "0.05 €"),
    (-5, "-0.05", "-0.05 €"),
    (-100, "-1.00", "-1.00 €"),
    (123456, "1234.56", "1234.56 €"),
    (-123456, "-1234.56", "-1234.56 €"),
])
def test_cents_are_written_with_two_decimals_and_the_sign_in_front(cents, amount, text):
    assert cents_to_amount(cents) == amount
    assert cents_to_text(cents) == text


@pytest.mark.parametrize(("cents", "french"), [
    (0, "0,00 €"), (5, "0,05 €"), (-5, "-0,05 €"), (99999, "999,99 €"), (100000, "1 000,00 €"),
    (123456, "1 234,56 €"), (-123456789, "-1 234 567,89 €"),
])
def test_french_documents_group_thousands_and_use_a_decimal_comma(cents, french):
    assert cents_to_french(cents) == french.replace(" ", "\u00a0")


@given(CENTS)
def test_every_amount_written_reads_back_as_the_same_cents(cents):
    assert amount_to_cents(cents_to_amount(cents)) == cents
    assert amount_to_cents(Decimal(cents_to_amount(cents))) == cents


@given(CENTS)
def test_a_negative_amount_is_the_positive_one_with_a_minus_sign(cents):
    assert cents_to_amount(-abs(cents)) == ("-" if cents else "") + cents_to_amount(abs(cents))


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_any_decimal_with_cents_reads_exactly(value):
    assert amount_to_cents(str(value)) == int(value * 100)
    assert Decimal(cents_to_amount(amount_to_cents(value))) == value


@pytest.mark.parametrize(("amount", "cents"), [
    ("12.3", 1230), ("12", 1200), ("-0.5", -50), ("+1.00", 100), ("12.3400", 1234), (" 7.10 ", 710),
    (42, 4200), (Decimal("-3.2"), -320), (0.1, 10), (19.99, 1999),
])
def test_vendor_amounts_read_as_exact_cents(amount, cents):
    """A JSON number parsed as a float is read from the text it was sent as, never multiplied."""
    assert amount_to_cents(amount) == cents


@pytest.mark.parametrize("amount", ["12.345", "0.001", "abc", "", "NaN", "Infinity", "1.2.3"])
def test_an_amount_that_is_not_whole_cents_is_refused(amount):
    with pytest.raises(ValueError, match="amount"):
        amount_to_cents(amount)


def test_numpy_integers_are_cents_but_floats_and_booleans_are_not():
    assert cents_to_amount(np.int64(-1999)) == "-19.99"
    for wrong in (19.99, True, "1999", Decimal("19.99")):
        with pytest.raises(TypeError, match="integer cents"):
            cents_to_amount(wrong)
    with pytest.raises(TypeError):
        amount_to_cents(True)
