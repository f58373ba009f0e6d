"""The mapping aggregates lines per (taxation, kind, category, refund, location) before posting:
the journal lines do not depend on the order of the rows (groups are built from sums), and with
``per_location`` each location's entry is the entry of that location's rows alone.

(The JSON snapshots of the line-by-line implementation this aggregation replaced pinned what the
code printed, including labels, OSS decisions and a warning-only VAT check that the accounting
rules have since changed; the rules are now proven by the hand-computed days of
test_mapping*.py and test_rules_*.py.)
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.accounting.mapping import map_period
from tests.accounting.strategies import DAY, NEXT_DAY, accounting_options, consistent_days, tenant

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
