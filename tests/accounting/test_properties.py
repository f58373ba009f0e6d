"""Property tests: any consistent day maps to a balanced entry whose totals are the source's."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.accounting.checks import _looks_valid, check_balanced
from core.accounting.mapping import map_period
from core.errors import SourceDataError
from core.frames import Payments, SalesLines
from tests.accounting.strategies import (
    DAY,
    EXEMPTIONS,
    NEXT_DAY,
    accounting_options,
    consistent_days,
    tenant,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SALES_KINDS = ["sales", "shipping", "discount", "refund", "vat"]


def signed(lines: pd.DataFrame, kinds: list[str]) -> int:
    """Credits minus debits of the lines of these kinds."""
    part = lines[lines["kind"].isin(kinds)]
    return int(part["credit_cents"].sum() - part["debit_cents"].sum())


@FAST
@given(day=consistent_days(locations=("", "Annexe")), options=accounting_options, per_location=st.booleans())
def test_consistent_day_maps_to_a_balanced_entry_with_the_source_totals(day, options, per_location):
    sales_lines, payments = day
    t = tenant(accounting={**options, "per_location": per_location})
    entry = map_period(t, DAY, NEXT_DAY, sales_lines, payments)
    lines = entry.lines

    assert check_balanced(lines).passed
    for _, one in lines.groupby("entry_key"):
        assert one["debit_cents"].sum() == one["credit_cents"].sum()
    assert not (lines["kind"] == "rounding").any()
    assert ((lines["debit_cents"] > 0) ^ (lines["credit_cents"] > 0)).all()

    taxed = sales_lines[sales_lines["kind"] != "gift_card"]
    gift = sales_lines[sales_lines["kind"] == "gift_card"]
    assert -signed(lines, ["payment"]) == payments["amount_cents"].sum()
    assert signed(lines, SALES_KINDS) == taxed["gross_cents"].sum()
    assert signed(lines, ["vat"]) == taxed["vat_cents"].sum()
    assert signed(lines, ["tip"]) == payments["tip_cents"].sum() == entry.tips_cents
    assert signed(lines, ["gift_card"]) == gift["gross_cents"].sum()
    assert sum(entry.totals_by_method.values()) == payments["amount_cents"].sum()
    assert sum(v["gross_cents"] for v in entry.totals_by_rate.values()) == taxed["gross_cents"].sum()
    expected_entries = sorted(set(sales_lines["location"]) | set(payments["location"])) if per_location else [None]
    assert [e.location for e in entry.entries] == expected_entries


@FAST
@given(day=consistent_days(), delta=st.integers(-12, 12).filter(bool))
def test_a_residual_is_rounded_within_tolerance_and_rejected_beyond(day, delta):
    sales_lines, payments = day
    assume(len(payments) > 0)  # a day that nets to zero has no payment to perturb
    by_method = payments.groupby("method")["amount_cents"].sum()
    method = by_method.abs().idxmax()
    assume(abs(by_method[method]) > 100)  # the perturbed line keeps its side and exists
    t = tenant(accounting={"vat_exemptions": EXEMPTIONS})
    lines_before = len(map_period(t, DAY, NEXT_DAY, sales_lines, payments).lines)
    shifted = payments.copy()
    first = shifted.index[shifted["method"] == method][0]
    shifted.loc[first, "amount_cents"] += delta
    assume(not (shifted.loc[first, "is_refund"] and shifted.loc[first, "amount_cents"] > 0))
    if abs(delta) <= lines_before:
        entry = map_period(t, DAY, NEXT_DAY, sales_lines, shifted)
        rounding = entry.lines[entry.lines["kind"] == "rounding"]
        assert len(rounding) == 1
        row = rounding.iloc[0]
        assert (row["account"], int(row["credit_cents"]), int(row["debit_cents"])) == (
            ("758", delta, 0) if delta > 0 else ("658", 0, -delta)
        )
        assert entry.rounding_cents == delta
        assert check_balanced(entry.lines).passed
    else:
        with pytest.raises(SourceDataError, match="debit ≠ credit"):
            map_period(t, DAY, NEXT_DAY, sales_lines, shifted)


@FAST
@given(day=consistent_days(max_orders=3), column=st.sampled_from(["gross_cents", "kind", "vat_rate", "country"]))
def test_fast_precheck_never_accepts_what_pandera_rejects(day, column):
    sales_lines, payments = day
    assert _looks_valid(SalesLines, sales_lines) and _looks_valid(Payments, payments)
    broken = sales_lines.copy()
    broken.loc[broken.index[0], column] = {"gross_cents": 10**9, "kind": "voucher", "vat_rate": "20%",
                                           "country": "fr"}[column]
    assert not _looks_valid(SalesLines, broken)
    with pytest.raises(Exception):  # noqa: B017 - pandera's SchemaErrors
        SalesLines.validate(broken, lazy=True)
