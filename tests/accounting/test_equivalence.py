"""The aggregated mapping books exactly what the line-by-line mapping it replaced booked.

``fixtures/mapping_snapshots/*.json`` each hold one tenant-period — the tenant's accounting, the
period, the canonical frames (generated days of the restaurant / shop / bakery / ecommerce
profiles with OSS sales to DE and IT, one or two locations, and hand-made edge cases) — and what
the previous, line-by-line implementation of :func:`map_period` and
:func:`check_vat_rates_known` returned for it: every journal line (order, accounts, labels,
amounts, dtypes), entries, warnings, totals, unmapped cases, or the exact error (class,
message, record, field, details). The mapping now aggregates lines per (taxation, kind,
category, refund, location) before posting; these snapshots pin that nothing a user sees moved.

A snapshot changes only with a deliberate change of behaviour: rebuild it with
:func:`snapshot` and review the diff line by line.

Two properties add what fixed snapshots cannot: the journal lines do not depend on the order
of the rows (groups are built from sums), and with ``per_location`` each location's entry is
the entry of that location's rows alone.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.accounting.checks import check_vat_rates_known
from core.accounting.mapping import map_period
from core.errors import SyncError
from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, make_frame
from tests.accounting.strategies import DAY, NEXT_DAY, accounting_options, consistent_days, tenant

SNAPSHOTS = Path(__file__).parent / "fixtures" / "mapping_snapshots"
CASES = sorted(SNAPSHOTS.glob("*.json"))


def _plain(value):
    """JSON-comparable form (tuples → lists, numpy scalars → Python) of an outcome."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=lambda v: v.item()))


def mapping_outcome(t, start: date, end: date, lines, payments, closure) -> dict:
    """Everything :func:`map_period` gives back, or the error it raises, as plain data."""
    try:
        entry = map_period(t, start, end, lines, payments, closure)
    except SyncError as exc:
        return _plain({"error": {"type": type(exc).__name__, "message": str(exc), "record": exc.record,
                                 "field": exc.field_name, "details": exc.details}})
    return _plain({
        "period_key": entry.period_key, "entry_key": entry.entry_key, "entry_label": entry.entry_label,
        "dtypes": {c: str(t) for c, t in entry.lines.dtypes.items()},
        "lines": entry.lines.to_dict("records"),
        "entries": [dataclasses.asdict(e) for e in entry.entries],
        "unmapped_methods": entry.unmapped_methods, "unmapped_categories": entry.unmapped_categories,
        "unmapped_cases": entry.unmapped_cases.to_dict("records"), "warnings": entry.warnings,
        "totals_by_method": list(entry.totals_by_method.items()),
        "totals_by_rate": list(entry.totals_by_rate.items()),
        "tips_cents": entry.tips_cents, "rounding_cents": entry.rounding_cents,
    })


def vat_check_outcome(t, lines, on: date, until: date | None) -> dict:
    outcome = check_vat_rates_known(t, lines, on, until)
    return _plain({"passed": outcome.passed, "severity": outcome.severity, "description": outcome.description,
                   "failure_cases": outcome.failure_cases.to_dict("records")})


def frames_of(case: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The case's canonical frames, stored as ``{"columns": [...], "rows": [[...], ...]}``."""

    def frame(table: dict | None, columns: dict[str, str]) -> pd.DataFrame | None:
        if table is None:
            return None
        return make_frame([dict(zip(table["columns"], row, strict=True)) for row in table["rows"]], columns)

    return (frame(case["sales_lines"], SALES_LINE_COLUMNS), frame(case["payments"], PAYMENT_COLUMNS),
            frame(case["closure_totals"], CLOSURE_COLUMNS))


def period_of(case: dict) -> tuple[date, date, date | None]:
    start, end = date.fromisoformat(case["start"]), date.fromisoformat(case["end"])
    until = date.fromisoformat(case["until"]) if case.get("until") else None
    return start, end, until


def snapshot(case: dict) -> dict:
    """``case`` (name, description, tenant, start, end, until, frames as tables) with the
    outcomes of the current implementation under ``expected``: the file content to review."""
    t = tenant(**case["tenant"])
    start, end, until = period_of(case)
    lines, payments, closure = frames_of(case)
    return {**case, "expected": {"map_period": mapping_outcome(t, start, end, lines, payments, closure),
                                 "check_vat_rates_known": vat_check_outcome(t, lines, start, until)}}


def test_there_are_snapshots_of_every_profile_and_of_errors():
    names = [p.stem for p in CASES]
    for profile in ("restaurant", "shop", "bakery", "ecommerce"):
        assert any(profile in n for n in names), profile
    errors = [json.loads(p.read_text(encoding="utf-8"))["expected"]["map_period"].get("error") for p in CASES]
    assert {e["type"] for e in errors if e} == {"SourceDataError", "MappingError"}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_mapping_matches_the_snapshot(path: Path):
    case = json.loads(path.read_text(encoding="utf-8"))
    t = tenant(**case["tenant"])
    start, end, until = period_of(case)
    lines, payments, closure = frames_of(case)
    expected = case["expected"]

    got = mapping_outcome(t, start, end, lines, payments, closure)
    if "error" in expected["map_period"]:
        assert got == expected["map_period"]
    else:
        for key, value in expected["map_period"].items():  # one key at a time: readable diffs
            assert got[key] == value, key
        assert got.keys() == expected["map_period"].keys()
    assert vat_check_outcome(t, lines, start, until) == expected["check_vat_rates_known"]


PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(day=consistent_days(locations=("", "Annexe")), options=accounting_options, per_location=st.booleans(),
       seed=st.integers(0, 2**16))
def test_journal_lines_do_not_depend_on_the_order_of_the_rows(day, options, per_location, seed):
    lines, payments = day
    t = tenant(accounting={**options, "per_location": per_location})
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)
    shuffled = map_period(t, DAY, NEXT_DAY, lines.sample(frac=1, random_state=seed),
                          payments.sample(frac=1, random_state=seed + 1))
    pd.testing.assert_frame_equal(shuffled.lines, entry.lines)
    assert (shuffled.totals_by_rate, shuffled.totals_by_method, shuffled.warnings) == (
        entry.totals_by_rate, entry.totals_by_method, entry.warnings)
    assert sorted(shuffled.unmapped_cases["value"]) == sorted(entry.unmapped_cases["value"])


@PROPERTY
@given(day=consistent_days(locations=("Paris 11", "Lyon", "")), options=accounting_options)
def test_each_location_entry_is_the_entry_of_its_rows_alone(day, options):
    lines, payments = day
    t = tenant(accounting={**options, "per_location": True})
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)
    for info in entry.entries:
        alone = map_period(t, DAY, NEXT_DAY, lines[lines["location"] == info.location],
                           payments[payments["location"] == info.location])
        assert [e.entry_key for e in alone.entries] == [info.entry_key]
        pd.testing.assert_frame_equal(alone.lines, entry.entry_lines(info.entry_key))
        assert alone.entries[0] == info
