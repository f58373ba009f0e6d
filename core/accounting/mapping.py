"""Canonical sales of one period → one balanced journal entry (DESIGN.md §5). Pure: no I/O.

:func:`map_period` is the whole accounting core of the daily sales pipeline; each step is its
own module:

1. validate the frames (pandera, lazy) → ``SourceDataError`` naming order, line and field;
2. group lines and payments by what decides their booking, checking every taxed line's VAT
   rate against the dated table of its taxation country (the tenant's, or the delivery
   country for OSS distance sales) — :mod:`core.accounting.grouping`;
3. cross-check the source's Z-report (closure totals) per payment method and per VAT rate —
   :mod:`core.accounting.closure`;
4. build postings: debit each payment method's takings (tips included, refunds netted),
   credit tips, gift cards sold, sales net of VAT (by rate or by category), shipping,
   discounts and refunds (separate lines when the tenant asks), VAT per rate; net postings on
   the same (account, kind, key, rate, country) into one line — :mod:`core.accounting.postings`;
5. balance in cents: a residual within ``rounding_tolerance_cents_per_line × lines`` becomes a
   658/758 rounding line, anything larger is a source error "debit ≠ credit" (or, with a
   ``receivables_account``, a customers line) — :mod:`core.accounting.balance`.

Cost: nothing runs per line in Python. Postings are built from the groups' exact int64 sums,
in the order of each group's first line, so the first line named in an error or an unmapped
case and the label of a netted line are those a line-by-line pass would give
(tests/accounting/test_equivalence.py pins this). A million lines map in about a second with a
few tens of MiB on top of the frames; a small tenant-day in a few milliseconds.

Choices where DESIGN.md is silent:

- OSS lines (delivery country ≠ tenant country, with ``accounting.oss[country]``) always use the
  country's accounts (``by_rate`` overrides), whatever the category or shipping account.
  An EU sale to a country without OSS accounts, at a home rate, is taxed at home (below the
  €10,000 threshold); at a rate of the destination only, it is a ``MappingError``.
- In category mode, an ``item`` without a mapped category (or without a category) falls back to
  the rate mapping and is listed as unmapped; fees, service charges and discounts without a
  category use the rate mapping silently; shipping never uses categories.
- Refunds net into the lines they belong to; with ``refunds_separate`` the revenue part goes
  to ``refunds_account`` (or the sales account) as ``refund`` lines, VAT stays netted per rate.
- A gift card sold credits ``gift_card_liability_account`` with its gross; it must carry no VAT.
- Tips are credited as given in ``payments.tip_cents`` (the frames' invariant counts them as is).
- Line order: payments, tips, gift cards, sales, shipping, discounts, refunds, VAT, receivables,
  rounding; within a kind by country, account, rate, key.

Period: ``period_end`` is exclusive, like :class:`core.periods.SalesPeriod`
(``map_period(t, day, day + 1 day, …)``); ``period_end == period_start`` is read as that one day.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.accounting.balance import BalancedEntry, balance_entry, journal_lines_frame
from core.accounting.checks import schema_failures
from core.accounting.closure import cross_check_closure
from core.accounting.context import MappingContext
from core.accounting.entry import EntryInfo, MappedEntry
from core.accounting.exemptions import check_zero_rated
from core.accounting.failures import column_values, failure_frame
from core.accounting.grouping import PeriodGroups, group_period
from core.accounting.postings import UnmappedCase, entry_postings
from core.accounting.receivables import describe, timing_differences
from core.accounting.vat_amounts import check_vat_amounts
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    Payments,
    SalesLines,
    empty_frame,
)
from core.tenants import TenantConfig


@dataclass(frozen=True)
class EntrySpec:
    """An entry to build: the whole period, or one location's part of it."""

    location: str | None  # None: every location in one entry
    entry_key: str
    label: str


def map_period(
    tenant: TenantConfig,
    period_start: date,
    period_end: date,
    sales_lines: pd.DataFrame,
    payments: pd.DataFrame,
    closure_totals: pd.DataFrame | None = None,
) -> MappedEntry:
    """Map one tenant-period of canonical sales to its balanced journal entry (or entries).

    Raises ``SourceDataError`` (bad frames, wrong currency, unknown VAT rate, closure mismatch,
    debit ≠ credit beyond tolerance) and ``MappingError`` (strict tenant with unmapped payment
    methods or categories, distance sale at a foreign rate without OSS accounts). Every error
    names the tenant, the day and, where there is one, the record and the field.
    """
    if period_end <= period_start:
        period_end = period_start + timedelta(days=1)
    ctx = MappingContext(tenant, period_start.isoformat(), period_start, period_end - timedelta(days=1))
    sales_lines = _or_empty(sales_lines, SALES_LINE_COLUMNS)
    payments = _or_empty(payments, PAYMENT_COLUMNS)
    closure_totals = _or_empty(closure_totals, CLOSURE_COLUMNS)

    _validate(ctx, SalesLines, sales_lines, ("order_id", "line_id"), "sales line")
    _validate(ctx, Payments, payments, ("order_id", "payment_id"), "payment")
    _validate(ctx, ClosureTotals, closure_totals, ("dimension", "key"), "closure total")
    _check_currency(ctx, sales_lines, "line_id")
    _check_currency(ctx, payments, "payment_id")
    groups = group_period(ctx, sales_lines, payments)
    check_zero_rated(ctx, sales_lines)
    check_vat_amounts(ctx, sales_lines)
    cross_check_closure(ctx, groups, closure_totals)
    timings = timing_differences(ctx, sales_lines, payments)

    period_key = _period_key(period_start, period_end)
    base_key = _entry_key(tenant.slug, period_key)
    base_label = f"Ventes {period_key} — {tenant.name}"
    if tenant.accounting.per_location:
        specs = [
            EntrySpec(loc, _entry_key(tenant.slug, period_key, _slugify(loc) or "sans-lieu"),
                      f"{base_label} — {loc or 'sans lieu'}")
            for loc in groups.locations
        ]
    else:
        specs = [EntrySpec(None, base_key, base_label)]

    balanced: list[BalancedEntry] = []
    unmapped_methods: dict[str, UnmappedCase] = {}
    unmapped_categories: dict[str, UnmappedCase] = {}
    for spec in specs:
        postings = entry_postings(ctx, groups.at(spec.location))
        for name, case in postings.unmapped_methods.items():
            unmapped_methods.setdefault(name, case)
        for name, case in postings.unmapped_categories.items():
            unmapped_categories.setdefault(name, case)
        balanced.append(balance_entry(ctx, spec.entry_key, spec.label, spec.location, postings.postings,
                                      timings))

    if tenant.accounting.strict:
        _refuse_unmapped(ctx, unmapped_methods, unmapped_categories)
    entries: list[EntryInfo] = [b.info for b in balanced]
    unmapped_rows = [dataclasses.asdict(c) for c in [*unmapped_methods.values(), *unmapped_categories.values()]]
    receivables = {b.info.entry_key: b for b in balanced if b.timings}
    return MappedEntry(
        tenant=tenant.slug,
        period_key=period_key,
        entry_key=base_key,
        entry_label=base_label,
        lines=journal_lines_frame(balanced),
        entries=entries,
        unmapped_methods=sorted(unmapped_methods),
        unmapped_categories=sorted(unmapped_categories),
        unmapped_cases=failure_frame(unmapped_rows),
        warnings=_warnings(ctx, groups, sorted(unmapped_methods), sorted(unmapped_categories), receivables),
        totals_by_method=_totals_by_method(groups),
        totals_by_rate=_totals_by_rate(groups),
        tips_cents=groups.tips_cents,
        rounding_cents=sum(e.rounding_cents for e in entries),
    )


# --- validation ---------------------------------------------------------------------------------


def _or_empty(frame: pd.DataFrame | None, columns: dict[str, str]) -> pd.DataFrame:
    """The frame as given (it is read by position, never copied), or an empty canonical one."""
    if frame is None or (len(frame) == 0 and list(frame.columns) != list(columns)):
        return empty_frame(columns)
    return frame


def _validate(ctx: MappingContext, model, frame: pd.DataFrame, ids: tuple[str, str], what: str) -> None:
    cases = schema_failures(model, frame, id_columns=ids)
    if not len(cases):
        return
    first = cases.iloc[0]
    record = f"{what} {first['order_id']}/{first['line_id']}" if first["order_id"] or first["line_id"] else what
    if ids[0] == "order_id":
        record = f"order {first['order_id']} {ids[1].removesuffix('_id')} {first['line_id']}"
    more = f" (and {len(cases) - 1} other problem(s))" if len(cases) > 1 else ""
    raise ctx.source_error(
        f"invalid {what}: {first['reason']} (value {first['value']!r}){more}",
        record=record, field_name=str(first["field"]), failure_cases=cases.to_dict("records"),
    )


def _check_currency(ctx: MappingContext, frame: pd.DataFrame, line_col: str) -> None:
    bad = np.flatnonzero(column_values(frame, "currency") != ctx.tenant.currency)
    if len(bad):
        i = bad[0]
        currency, order_id, line_id = (frame[c].iat[i] for c in ("currency", "order_id", line_col))
        raise ctx.source_error(
            f"currency {currency} differs from the tenant's {ctx.tenant.currency}",
            record=f"order {order_id} {line_col.removesuffix('_id')} {line_id}",
            field_name="currency",
        )


def _refuse_unmapped(ctx: MappingContext, methods: dict[str, UnmappedCase],
                     categories: dict[str, UnmappedCase]) -> None:
    """A strict tenant posts nothing while a payment method or a category has no account."""
    if methods:
        names = ", ".join(repr(m) for m in sorted(methods))
        first = methods[sorted(methods)[0]]
        raise ctx.mapping_error(
            f"payment methods not mapped (strict mode): {names}; add them to accounting.payment_methods",
            record=f"order {first.order_id} payment {first.line_id}", field_name="method",
            methods=sorted(methods),
        )
    if categories:
        names = ", ".join(repr(c) for c in sorted(categories))
        first = categories[sorted(categories)[0]]
        raise ctx.mapping_error(
            f"product categories not mapped (strict mode): {names}; add them to "
            f"accounting.sales_accounts_by_category",
            record=f"order {first.order_id} line {first.line_id}", field_name="category",
            categories=sorted(categories),
        )


# --- totals, keys, warnings ---------------------------------------------------------------------


def _totals_by_method(groups: PeriodGroups) -> dict[str, int]:
    totals: dict[str, int] = {}
    for g in groups.methods:
        totals[g.method] = totals.get(g.method, 0) + g.amount_cents
    return dict(sorted(totals.items()))


def _totals_by_rate(groups: PeriodGroups) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for g in groups.lines:
        tax = g.taxation
        if tax is None:
            continue
        key = f"{tax.country} {tax.rate}" if tax.oss else tax.rate
        t = totals.setdefault(key, {"net_cents": 0, "vat_cents": 0, "gross_cents": 0})
        t["net_cents"] += g.net_cents
        t["vat_cents"] += g.vat_cents
        t["gross_cents"] += g.gross_cents
    return dict(sorted(totals.items()))


def _warnings(ctx: MappingContext, groups: PeriodGroups, unmapped_methods: list[str],
              unmapped_categories: list[str], receivables: dict[str, BalancedEntry]) -> list[str]:
    """Facts the accountant should see, which do not stop the posting."""
    acc = ctx.tenant.accounting
    out = []
    if unmapped_methods:
        names = ", ".join(repr(m) for m in unmapped_methods)
        out.append(f"payment methods not mapped, booked to {acc.other_payment_methods_account}: {names}")
    if unmapped_categories:
        names = ", ".join(repr(c) for c in unmapped_categories)
        out.append(f"categories not mapped, booked by VAT rate: {names}")
    for entry_key, entry in sorted(receivables.items()):
        unpaid = [t for t in entry.timings if t.reason == "unpaid"]
        earlier = [t for t in entry.timings if t.reason == "earlier"]
        if unpaid:
            out.append(f"{entry_key}: orders not paid today, debited to customers ({acc.receivables_account}): "
                       f"{describe(unpaid)}")
        if earlier:
            out.append(f"{entry_key}: money received today for orders of earlier days, credited to customers "
                       f"({acc.receivables_account}): {describe(earlier)}")
    return out


def _period_key(start: date, end_exclusive: date) -> str:
    last = end_exclusive - timedelta(days=1)
    if last == start:
        return start.isoformat()
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if start.day == 1 and end_exclusive == next_month:
        return start.strftime("%Y-%m")
    return f"{start.isoformat()}..{last.isoformat()}"


def _slugify(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def _entry_key(slug: str, period_key: str, location_slug: str | None = None) -> str:
    """Deterministic key (≤ 64 chars, the warehouse column): ``<tenant>-<period>[-<location>]``."""
    key = f"{slug}-{period_key}" + (f"-{location_slug}" if location_slug else "")
    if len(key) <= 64:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"{key[:53]}-{digest}"


__all__ = ["EntryInfo", "MappedEntry", "map_period"]
