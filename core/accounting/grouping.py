"""Step 1 of the mapping: the period's sales lines and payments grouped by what decides their booking.

Every line of a group books to the same accounts with the same labels, so the postings are
built from the groups' sums (a few dozen per day) instead of from each of maybe a million
lines. Lines are grouped (numpy/pandas, on the columns' own arrays, no copy of the frames) by
taxation (judged once per distinct country and rate), kind, category, refund flag and location,
each only when the tenant's accounting tells them apart; sums are exact int64.

Groups come in the order of their first line, which keeps what depended on line order in a
line-by-line mapping: the first line named in an error or in an unmapped case, and the label a
netted journal line takes from the first posting that went into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.failures import column_values
from core.accounting.vat_rates import Taxation, taxation_for
from core.money import cents_to_text


@dataclass(frozen=True)
class LineGroup:
    """Sales lines of one location (when booked per location) sharing taxation, kind, category
    (when booked by category) and refund flag (when refunds are booked apart)."""

    location: str  # "" when the tenant books every location in one entry
    order_id: str  # first line of the group: named in errors and unmapped cases
    line_id: str
    kind: str
    category: str
    is_refund: bool
    taxation: Taxation | None  # None: gift card
    net_cents: int
    vat_cents: int
    gross_cents: int
    count: int


@dataclass(frozen=True)
class MethodGroup:
    """Payments of one method (and one location, when booked per location)."""

    location: str
    method: str
    order_id: str  # first payment of the group
    payment_id: str
    amount_cents: int
    tip_cents: int
    count: int


@dataclass(frozen=True)
class PeriodGroups:
    """The period's sales lines and payments, grouped; in order of each group's first row."""

    lines: list[LineGroup]
    methods: list[MethodGroup]

    def at(self, location: str | None) -> PeriodGroups:
        """The groups of one location (``None``: all of them, one entry for the period)."""
        if location is None:
            return self
        return PeriodGroups([g for g in self.lines if g.location == location],
                            [g for g in self.methods if g.location == location])

    @property
    def locations(self) -> list[str]:
        return sorted({g.location for g in self.lines} | {g.location for g in self.methods})

    @property
    def tips_cents(self) -> int:
        return sum(g.tip_cents for g in self.methods)


def group_period(ctx: MappingContext, sales_lines: pd.DataFrame, payments: pd.DataFrame) -> PeriodGroups:
    """Group the period's (validated) frames; raises on the first line with a VAT problem."""
    return PeriodGroups(line_groups(ctx, sales_lines), method_groups(ctx, payments))


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per row (0.. in order of first appearance) and the distinct values."""
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def _group_rows(keys: list[tuple[np.ndarray, int]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Group id per row for rows keyed by several code arrays (each with its number of values),
    groups numbered in order of first appearance, and the first row of each group."""
    combined = np.zeros(n, dtype=np.int64)
    size = 1
    for codes, radix in keys:
        radix = max(radix, 1)
        if size * radix >= 2**62:  # keep the mixed-radix key inside int64
            combined, uniques = pd.factorize(combined)
            combined, size = combined.astype(np.int64, copy=False), len(uniques)
        combined = combined * radix + codes
        size *= radix
    ids, uniques = pd.factorize(combined)
    first = np.full(len(uniques), n, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(n, dtype=np.int64))
    return ids, first


def _sums(ids: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    """Exact int64 sum of ``values`` per group (``np.bincount`` would go through float64)."""
    out = np.zeros(groups, dtype=np.int64)
    np.add.at(out, ids, values.astype(np.int64, copy=False))
    return out


def line_groups(ctx: MappingContext, sales_lines: pd.DataFrame) -> list[LineGroup]:
    """Taxation of each distinct (country, rate), checked, and the sales lines grouped for posting.

    Raises on the first line (in line order) whose VAT rate is not in force, or that sells a
    gift card carrying VAT, exactly as a line-by-line pass would.
    """
    acc = ctx.tenant.accounting
    n = len(sales_lines)
    order_ids = column_values(sales_lines, "order_id")
    line_ids = column_values(sales_lines, "line_id")
    vat = column_values(sales_lines, "vat_cents")
    kind_codes, kinds = _codes(column_values(sales_lines, "kind"))
    gift_code = next((i for i, k in enumerate(kinds) if k == "gift_card"), -1)
    gift = kind_codes == gift_code
    country_codes, countries = _codes(column_values(sales_lines, "country"))
    rate_codes, rates = _codes(column_values(sales_lines, "vat_rate"))
    pair_codes, pairs = _codes(country_codes * max(len(rates), 1) + rate_codes)
    oss = frozenset(acc.oss.accounts) if acc.oss.registered else frozenset()
    taxations = [
        taxation_for(ctx.tenant.country, str(countries[p // len(rates)]), str(rates[p % len(rates)]), oss,
                     ctx.on, ctx.until)
        for p in pairs
    ]
    bad_pair = np.array([t.problem_kind is not None for t in taxations], dtype=bool)
    bad = np.where(gift, vat != 0, bad_pair[pair_codes])
    if bad.any():
        i = int(np.argmax(bad))
        record = f"order {order_ids[i]} line {line_ids[i]}"
        if gift[i]:
            raise ctx.source_error(
                f"a gift card sold carries no VAT (a liability, not revenue) but the line has "
                f"{cents_to_text(int(vat[i]))} of VAT",
                record=record, field_name="vat_cents",
            )
        decision = taxations[pair_codes[i]]
        if decision.problem_kind == "unknown_rate":
            raise ctx.source_error(decision.problem, record=record, field_name="vat_rate")
        raise ctx.mapping_error(decision.problem, record=record, field_name="country")

    keys = [(np.where(gift, len(pairs), pair_codes), len(pairs) + 1), (kind_codes, len(kinds))]
    locations = categories = refunds = None
    if acc.per_location:
        locations = column_values(sales_lines, "location")
        keys.append(_with_count(_codes(locations)))
    if acc.sales_by == "category":
        categories = column_values(sales_lines, "category")
        keys.append(_with_count(_codes(categories)))
    if acc.refunds_separate:
        refunds = column_values(sales_lines, "is_refund")
        keys.append((refunds.astype(np.int64), 2))
    ids, first = _group_rows(keys, n)
    count = np.bincount(ids, minlength=len(first))
    net, vat_sum, gross = (_sums(ids, len(first), column_values(sales_lines, c))
                           for c in ("net_cents", "vat_cents", "gross_cents"))
    kind_values = column_values(sales_lines, "kind")
    return [
        LineGroup(
            location=str(locations[r]) if locations is not None else "",
            order_id=str(order_ids[r]), line_id=str(line_ids[r]), kind=str(kind_values[r]),
            category=str(categories[r]) if categories is not None else "",
            is_refund=bool(refunds[r]) if refunds is not None else False,
            taxation=None if gift[r] else taxations[pair_codes[r]],
            net_cents=int(net[g]), vat_cents=int(vat_sum[g]), gross_cents=int(gross[g]), count=int(count[g]),
        )
        for g, r in enumerate(first.tolist())
    ]


def _with_count(coded: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, int]:
    return coded[0], len(coded[1])


def method_groups(ctx: MappingContext, payments: pd.DataFrame) -> list[MethodGroup]:
    """Payments summed per method (and location, when the tenant books per location)."""
    n = len(payments)
    methods = column_values(payments, "method")
    keys = [_with_count(_codes(methods))]
    locations = None
    if ctx.tenant.accounting.per_location:
        locations = column_values(payments, "location")
        keys.append(_with_count(_codes(locations)))
    ids, first = _group_rows(keys, n)
    count = np.bincount(ids, minlength=len(first))
    amount, tips = (_sums(ids, len(first), column_values(payments, c)) for c in ("amount_cents", "tip_cents"))
    order_ids = column_values(payments, "order_id")
    payment_ids = column_values(payments, "payment_id")
    return [
        MethodGroup(
            location=str(locations[r]) if locations is not None else "", method=str(methods[r]),
            order_id=str(order_ids[r]), payment_id=str(payment_ids[r]),
            amount_cents=int(amount[g]), tip_cents=int(tips[g]), count=int(count[g]),
        )
        for g, r in enumerate(first.tolist())
    ]
