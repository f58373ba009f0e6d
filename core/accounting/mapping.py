"""Canonical sales of one period → one balanced journal entry (DESIGN.md §5). Pure: no I/O.

:func:`map_period` is the whole accounting core of the daily sales pipeline:

1. validate the frames (pandera, lazy) → ``SourceDataError`` naming order, line and field;
2. check every taxed line's VAT rate against the dated table of its taxation country
   (the tenant's, or the delivery country for OSS distance sales);
3. cross-check the source's Z-report (closure totals) per payment method and per VAT rate;
4. build postings: debit each payment method's takings (tips included, refunds netted),
   credit tips, gift cards sold, sales net of VAT (by rate or by category), shipping,
   discounts and refunds (separate lines when the tenant asks), VAT per rate;
5. net postings on the same (account, kind, key, rate, country) into one line, debit or credit;
6. balance in cents: a residual within ``rounding_tolerance_cents_per_line × lines`` becomes a
   658/758 rounding line, anything larger is a source error "debit ≠ credit".

Cost: nothing runs per line in Python. Lines are grouped (numpy/pandas, on the columns' own
arrays, no copy of the frames) by what decides their booking — taxation (once per distinct
country and rate), kind, category, refund flag, location — and postings are built from the
groups' exact int64 sums, in the order of each group's first line, so the first line named in
an error or an unmapped case and the label of a netted line are those a line-by-line pass
would give (tests/accounting/test_equivalence.py pins this). A million lines map in about a
second with a few tens of MiB on top of the frames; a small tenant-day in a few milliseconds.

Sign convention inside this module: a posting's ``amount`` is positive for a debit and negative
for a credit, so that netting is a plain sum and a line's side follows from its sign.

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
- Line order: payments, tips, gift cards, sales, shipping, discounts, refunds, VAT, rounding;
  within a kind by country, account, rate, key.

Period: ``period_end`` is exclusive, like :class:`resources.sources.base.SalesPeriod`
(``map_period(t, day, day + 1 day, …)``); ``period_end == period_start`` is read as that one day.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from core.accounting.checks import (
    FAILURE_COLUMNS,
    JOURNAL_LINE_COLUMNS,
    JOURNAL_LINE_KINDS,
    cents_to_text,
    column_values,
    failure_frame,
    schema_failures,
    text_array,
)
from core.accounting.payment_methods import resolve_method
from core.accounting.vat_rates import Taxation, canonical_rate, format_rate_fr, taxation_for
from core.errors import MappingError, SourceDataError
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    Payments,
    SalesLines,
    empty_frame,
)
from core.tenants import ACCOUNT_RE, TenantConfig

TAXED_KINDS = ("item", "shipping", "fee", "service_charge", "discount")
_KIND_ORDER = {kind: i for i, kind in enumerate(JOURNAL_LINE_KINDS)}


@dataclass(frozen=True)
class EntryInfo:
    """One journal entry of the period (one per location when ``per_location``)."""

    entry_key: str
    label: str
    location: str | None
    debit_cents: int
    credit_cents: int
    rounding_cents: int  # signed: > 0 booked to 758 (credit), < 0 to 658 (debit)
    line_count: int


@dataclass
class MappedEntry:
    """The journal entry (or entries, per location) of one tenant-period, ready to post.

    ``lines`` has the columns of :data:`core.accounting.checks.JOURNAL_LINE_COLUMNS`
    (the ``journal_lines`` warehouse dataset): ``entry_key, line_no, account, label,
    debit_cents, credit_cents, kind, source_key, vat_rate, country, mapped``.
    """

    tenant: str
    period_key: str  # "2026-11-21" (daily) or "2026-10" (calendar month)
    entry_key: str  # key of the period's entry; per location each entry adds "-<location>"
    entry_label: str  # "Ventes 2026-11-21 — <tenant name>"
    lines: pd.DataFrame
    entries: list[EntryInfo]
    unmapped_methods: list[str]
    unmapped_categories: list[str]
    unmapped_cases: pd.DataFrame  # FAILURE_COLUMNS: first order/payment of each unmapped name
    warnings: list[str]
    totals_by_method: dict[str, int]  # method name → takings incl. tips, net of refunds (cents)
    totals_by_rate: dict[str, dict[str, int]]  # "20" or "DE 19" → {"net_cents", "vat_cents", "gross_cents"}
    tips_cents: int
    rounding_cents: int  # sum over entries, signed as in EntryInfo

    @property
    def total_debit_cents(self) -> int:
        return int(self.lines["debit_cents"].sum()) if len(self.lines) else 0

    @property
    def total_credit_cents(self) -> int:
        return int(self.lines["credit_cents"].sum()) if len(self.lines) else 0

    @property
    def is_empty(self) -> bool:
        return not len(self.lines)

    def entry_lines(self, entry_key: str) -> pd.DataFrame:
        return self.lines[self.lines["entry_key"] == entry_key].reset_index(drop=True)

    def metadata(self) -> dict[str, object]:
        """JSON-friendly figures for the Dagster materialization."""
        return {
            "entries": len(self.entries),
            "lines": len(self.lines),
            "total_debit_cents": self.total_debit_cents,
            "total_credit_cents": self.total_credit_cents,
            "tips_cents": self.tips_cents,
            "rounding_cents": self.rounding_cents,
            "totals_by_method": dict(self.totals_by_method),
            "totals_by_rate": {k: dict(v) for k, v in self.totals_by_rate.items()},
            "unmapped_methods": list(self.unmapped_methods),
            "unmapped_categories": list(self.unmapped_categories),
            "warnings": list(self.warnings),
        }


@dataclass
class _Posting:
    account: str
    kind: str
    source_key: str
    vat_rate: str
    country: str
    label: str
    mapped: bool
    amount: int  # > 0 debit, < 0 credit


@dataclass
class _Context:
    tenant: TenantConfig
    day: str  # the partition key, for errors
    on: date
    until: date  # inclusive last day
    unmapped_methods: dict[str, dict] = field(default_factory=dict)
    unmapped_categories: dict[str, dict] = field(default_factory=dict)
    receivables: dict[str, int] = field(default_factory=dict)  # entry key → cents booked to receivables

    def source_error(self, message: str, *, record: str | None = None, field_name: str | None = None,
                     **details) -> SourceDataError:
        return SourceDataError(message, tenant=self.tenant.slug, day=self.day, record=record,
                               field_name=field_name, details=details)

    def mapping_error(self, message: str, *, record: str | None = None, field_name: str | None = None,
                      **details) -> MappingError:
        return MappingError(message, tenant=self.tenant.slug, day=self.day, record=record,
                            field_name=field_name, details=details)


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
    until = period_end - timedelta(days=1)
    ctx = _Context(tenant, period_start.isoformat(), period_start, until)
    sales_lines = _or_empty(sales_lines, SALES_LINE_COLUMNS)
    payments = _or_empty(payments, PAYMENT_COLUMNS)
    closure_totals = _or_empty(closure_totals, CLOSURE_COLUMNS)

    _validate(ctx, SalesLines, sales_lines, ("order_id", "line_id"), "sales line")
    _validate(ctx, Payments, payments, ("order_id", "payment_id"), "payment")
    _validate(ctx, ClosureTotals, closure_totals, ("dimension", "key"), "closure total")
    _check_currency(ctx, sales_lines, "line_id")
    _check_currency(ctx, payments, "payment_id")
    line_groups = _line_groups(ctx, sales_lines)
    method_groups = _method_groups(ctx, payments)
    _cross_check_closure(ctx, line_groups, method_groups, closure_totals)

    period_key = _period_key(period_start, period_end)
    base_key = _entry_key(tenant.slug, period_key)
    base_label = f"Ventes {period_key} — {tenant.name}"
    acc = tenant.accounting

    if acc.per_location:
        locations = sorted({g.location for g in line_groups} | {g.location for g in method_groups})
        entry_specs = [
            (loc, _entry_key(tenant.slug, period_key, _slugify(loc) or "sans-lieu"),
             f"{base_label} — {loc or 'sans lieu'}")
            for loc in locations
        ]
    else:
        entry_specs = [(None, base_key, base_label)]

    rows: list[tuple] = []
    entries: list[EntryInfo] = []
    for location, entry_key, label in entry_specs:
        lines_here = [g for g in line_groups if location is None or g.location == location]
        pays_here = [g for g in method_groups if location is None or g.location == location]
        postings = _payment_postings(ctx, pays_here) + _sales_postings(ctx, lines_here)
        info = _balance(ctx, entry_key, label, location, _net(postings), rows)
        entries.append(info)

    if acc.strict and ctx.unmapped_methods:
        names = ", ".join(repr(m) for m in sorted(ctx.unmapped_methods))
        first = ctx.unmapped_methods[sorted(ctx.unmapped_methods)[0]]
        raise ctx.mapping_error(
            f"payment methods not mapped (strict mode): {names}; add them to accounting.payment_methods",
            record=f"order {first['order_id']} payment {first['line_id']}", field_name="method",
            methods=sorted(ctx.unmapped_methods),
        )
    if acc.strict and ctx.unmapped_categories:
        names = ", ".join(repr(c) for c in sorted(ctx.unmapped_categories))
        first = ctx.unmapped_categories[sorted(ctx.unmapped_categories)[0]]
        raise ctx.mapping_error(
            f"product categories not mapped (strict mode): {names}; add them to "
            f"accounting.sales_accounts_by_category",
            record=f"order {first['order_id']} line {first['line_id']}", field_name="category",
            categories=sorted(ctx.unmapped_categories),
        )

    unmapped_rows = list(ctx.unmapped_methods.values()) + list(ctx.unmapped_categories.values())
    return MappedEntry(
        tenant=tenant.slug,
        period_key=period_key,
        entry_key=base_key,
        entry_label=base_label,
        lines=_lines_frame(rows),
        entries=entries,
        unmapped_methods=sorted(ctx.unmapped_methods),
        unmapped_categories=sorted(ctx.unmapped_categories),
        unmapped_cases=failure_frame(unmapped_rows),
        warnings=_warnings(ctx, line_groups),
        totals_by_method=_totals_by_method(method_groups),
        totals_by_rate=_totals_by_rate(line_groups),
        tips_cents=sum(g.tip_cents for g in method_groups),
        rounding_cents=sum(e.rounding_cents for e in entries),
    )


# --- validation ---------------------------------------------------------------------------------


def _or_empty(frame: pd.DataFrame | None, columns: dict[str, str]) -> pd.DataFrame:
    """The frame as given (it is read by position, never copied), or an empty canonical one."""
    if frame is None or (len(frame) == 0 and list(frame.columns) != list(columns)):
        return empty_frame(columns)
    return frame


def _validate(ctx: _Context, model, frame: pd.DataFrame, ids: tuple[str, str], what: str) -> None:
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


def _check_currency(ctx: _Context, frame: pd.DataFrame, line_col: str) -> None:
    bad = np.flatnonzero(column_values(frame, "currency") != ctx.tenant.currency)
    if len(bad):
        i = bad[0]
        currency, order_id, line_id = (frame[c].iat[i] for c in ("currency", "order_id", line_col))
        raise ctx.source_error(
            f"currency {currency} differs from the tenant's {ctx.tenant.currency}",
            record=f"order {order_id} {line_col.removesuffix('_id')} {line_id}",
            field_name="currency",
        )


# --- aggregation --------------------------------------------------------------------------------
#
# Every line of a group books to the same accounts with the same labels, so the postings are
# built from the groups' sums (a few dozen per day) instead of from each of maybe a million
# lines. Groups come in the order of their first line, which keeps what depended on line order
# in a line-by-line mapping: the first line named in an error or in an unmapped case, and the
# label a netted journal line takes from the first posting that went into it.


@dataclass
class _LineGroup:
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


@dataclass
class _MethodGroup:
    """Payments of one method (and one location, when booked per location)."""

    location: str
    method: str
    order_id: str  # first payment of the group
    payment_id: str
    amount_cents: int
    tip_cents: int
    count: int


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


def _line_groups(ctx: _Context, sales_lines: pd.DataFrame) -> list[_LineGroup]:
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
    oss = frozenset(acc.oss)
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
        _LineGroup(
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


def _method_groups(ctx: _Context, payments: pd.DataFrame) -> list[_MethodGroup]:
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
        _MethodGroup(
            location=str(locations[r]) if locations is not None else "", method=str(methods[r]),
            order_id=str(order_ids[r]), payment_id=str(payment_ids[r]),
            amount_cents=int(amount[g]), tip_cents=int(tips[g]), count=int(count[g]),
        )
        for g, r in enumerate(first.tolist())
    ]


def _cross_check_closure(
    ctx: _Context, line_groups: list[_LineGroup], method_groups: list[_MethodGroup], closure: pd.DataFrame
) -> None:
    """The source's Z-report totals must equal what the lines and payments add up to."""
    if not len(closure):
        return
    by_location = ctx.tenant.accounting.per_location
    mismatches: list[tuple[str, str, str]] = []  # (message, record, field)

    def where(location: str) -> str:
        return f" at location {location!r}" if by_location else ""

    pays: dict[tuple[str, str], dict[str, int]] = {}
    for m in method_groups:  # groups carry the location only when booked by location
        pays.setdefault((m.location, m.method), {"amount_cents": 0})["amount_cents"] += m.amount_cents
    rates: dict[tuple[str, str], dict[str, int]] = {}
    for g in line_groups:
        if g.taxation is None:
            continue
        t = rates.setdefault((g.location, g.taxation.rate), {"gross_cents": 0, "net_cents": 0, "vat_cents": 0})
        t["gross_cents"] += g.gross_cents
        t["net_cents"] += g.net_cents
        t["vat_cents"] += g.vat_cents
    z_pay: dict[tuple[str, str], dict[str, int]] = {}
    z_vat: dict[tuple[str, str], dict[str, int]] = {}
    columns = ("location", "dimension", "key", "amount_cents", "net_cents", "vat_cents")
    z_rows = list(zip(*(closure[c].tolist() for c in columns), strict=True))
    for location, dimension, key, amount, _net_cents, _vat_cents in z_rows:
        if dimension == "payment":
            loc = str(location) if by_location else ""
            z_pay.setdefault((loc, str(key)), {"amount_cents": 0})["amount_cents"] += int(amount)
    for location, dimension, key, amount, net, vat in z_rows:
        if dimension == "vat":
            loc = str(location) if by_location else ""
            t = z_vat.setdefault((loc, canonical_rate(key)), {"amount_cents": 0, "net_cents": 0, "vat_cents": 0})
            t["amount_cents"] += int(amount)
            t["net_cents"] += int(net)
            t["vat_cents"] += int(vat)
    for key in sorted(set(pays) | set(z_pay)):
        ours, theirs = pays.get(key, {"amount_cents": 0})["amount_cents"], z_pay.get(key, {"amount_cents": 0})["amount_cents"]
        if ours != theirs:
            mismatches.append((
                f"closure total for payment method {key[1]!r}{where(key[0])} is {cents_to_text(theirs)} "
                f"but the payments sum to {cents_to_text(ours)}",
                f"closure payment {key[1]}", "amount_cents",
            ))
    for key in sorted(set(rates) | set(z_vat)):
        ours = rates.get(key, {"gross_cents": 0, "net_cents": 0, "vat_cents": 0})
        theirs = z_vat.get(key, {"amount_cents": 0, "net_cents": 0, "vat_cents": 0})
        label = f"VAT rate {format_rate_fr(key[1])}{where(key[0])}"
        if ours["gross_cents"] != theirs["amount_cents"]:
            mismatches.append((
                f"closure total at {label} is {cents_to_text(theirs['amount_cents'])} incl. VAT but the "
                f"sales lines sum to {cents_to_text(ours['gross_cents'])}",
                f"closure vat {key[1]}", "amount_cents",
            ))
        elif theirs["net_cents"] or theirs["vat_cents"]:  # compare the split only when the Z gives it
            for col, what in (("vat_cents", "VAT"), ("net_cents", "net of VAT")):
                if ours[col] != theirs[col]:
                    mismatches.append((
                        f"closure {what} at {label} is {cents_to_text(theirs[col])} but the sales lines "
                        f"sum to {cents_to_text(ours[col])}",
                        f"closure vat {key[1]}", col,
                    ))
                    break
    if mismatches:
        message, record, field_name = mismatches[0]
        more = f" (and {len(mismatches) - 1} other mismatch(es))" if len(mismatches) > 1 else ""
        raise ctx.source_error(message + more, record=record, field_name=field_name,
                               mismatches=[m[0] for m in mismatches])


# --- postings -----------------------------------------------------------------------------------


def _payment_postings(ctx: _Context, groups: list[_MethodGroup]) -> list[_Posting]:
    acc = ctx.tenant.accounting
    postings: list[_Posting] = []
    for group in sorted(groups, key=lambda g: g.method):
        method = group.method
        resolved = resolve_method(method, acc)
        amount = group.amount_cents
        if not resolved.mapped and method not in ctx.unmapped_methods:
            ctx.unmapped_methods[method] = {
                "order_id": group.order_id, "line_id": group.payment_id,
                "field": "method", "value": method,
                "reason": f"payment method not mapped: {group.count} payment(s), {cents_to_text(amount)} "
                          f"booked to {resolved.account}",
            }
        postings.append(_Posting(resolved.account, "payment", method, "", "",
                                 f"Encaissements {method}", resolved.mapped, amount))
    tips = sum(g.tip_cents for g in groups)
    if tips:
        postings.append(_Posting(acc.tips_account, "tip", "", "", "", "Pourboires", True, -tips))
    return postings


def _sales_postings(ctx: _Context, groups: list[_LineGroup]) -> list[_Posting]:
    acc = ctx.tenant.accounting
    by_rate = {canonical_rate(k): v for k, v in acc.sales_accounts_by_rate.items()}
    vat_by_rate = {canonical_rate(k): v for k, v in acc.vat_accounts_by_rate.items()}
    postings: list[_Posting] = []
    for line in groups:
        tax = line.taxation
        if tax is None:  # gift card sold (or refunded): a liability, outside revenue and VAT
            postings.append(_Posting(acc.gift_card_liability_account, "gift_card", "", "", "",
                                     "Cartes cadeaux vendues", True, -line.gross_cents))
            continue
        rate, country = tax.rate, tax.country
        where = f" {country}" if tax.oss else ""
        rate_text = f"TVA {format_rate_fr(rate)}"
        mapped = True
        if tax.oss:
            sales_account, vat_account = _oss_accounts(ctx, country, rate, line)
            key, key_text = rate, ""
        else:
            vat_account = vat_by_rate.get(rate, acc.vat_account)
            sales_account = by_rate.get(rate, acc.default_sales_account)
            key, key_text = rate, ""
            category = line.category
            if acc.sales_by == "category" and line.kind != "shipping":
                if category in acc.sales_accounts_by_category:
                    sales_account, key, key_text = acc.sales_accounts_by_category[category], category, f" {category}"
                elif line.kind == "item" or category:
                    mapped = False
                    key, key_text = category, f" {category}" if category else ""
                    if category not in ctx.unmapped_categories:
                        ctx.unmapped_categories[category] = {
                            "order_id": line.order_id, "line_id": line.line_id,
                            "field": "category", "value": category,
                            "reason": f"category not mapped: booked to {sales_account} (VAT rate mapping)",
                        }
            if line.kind == "shipping" and acc.shipping_account:
                sales_account = acc.shipping_account
        kind, prefix, account = "sales", "Ventes", sales_account
        if line.kind == "shipping":
            kind, prefix = "shipping", "Frais de port"
        if line.kind == "discount" and acc.discounts_separate:
            kind, prefix, account = "discount", "Remises", acc.discounts_account
        if line.is_refund and acc.refunds_separate:
            kind, prefix, account = "refund", "Remboursements", acc.refunds_account or sales_account
        postings.append(_Posting(account, kind, key, rate, country,
                                 f"{prefix}{key_text}{where} {rate_text}", mapped, -line.net_cents))
        postings.append(_Posting(vat_account, "vat", rate, rate, country,
                                 f"TVA collectée{where} {format_rate_fr(rate)}", True, -line.vat_cents))
    return postings


def _oss_accounts(ctx: _Context, country: str, rate: str, line: _LineGroup) -> tuple[str, str]:
    accounts = ctx.tenant.accounting.oss[country]
    override = {canonical_rate(k): v for k, v in accounts.by_rate.items()}.get(rate, {})
    sales = override.get("sales_account", accounts.sales_account)
    vat = override.get("vat_account", accounts.vat_account)
    for name, value in (("sales_account", sales), ("vat_account", vat)):
        if not ACCOUNT_RE.match(str(value)):
            raise ctx.mapping_error(
                f"accounting.oss[{country!r}].by_rate[{rate!r}].{name} {value!r} is not a ledger account",
                record=f"order {line.order_id} line {line.line_id}", field_name="country",
            )
    return sales, vat


def _net(postings: list[_Posting]) -> list[_Posting]:
    """One posting per (account, kind, key, rate, country); zero sums disappear."""
    merged: dict[tuple, _Posting] = {}
    for p in postings:
        key = (p.account, p.kind, p.source_key, p.vat_rate, p.country)
        if key in merged:
            merged[key].amount += p.amount
            merged[key].mapped = merged[key].mapped and p.mapped
        else:
            merged[key] = _Posting(**p.__dict__)
    kept = [p for p in merged.values() if p.amount != 0]
    return sorted(kept, key=lambda p: (
        _KIND_ORDER[p.kind], p.country, p.account, Decimal(p.vat_rate or "-1"), p.source_key,
    ))


def _balance(
    ctx: _Context, entry_key: str, label: str, location: str | None, postings: list[_Posting],
    rows: list[tuple],
) -> EntryInfo:
    """Add the entry's journal lines to ``rows`` (rounding line included); its summary."""
    acc = ctx.tenant.accounting
    debit = sum(p.amount for p in postings if p.amount > 0)
    credit = -sum(p.amount for p in postings if p.amount < 0)
    residual = debit - credit
    tolerance = acc.rounding_tolerance_cents_per_line * len(postings)
    if abs(residual) > tolerance and acc.receivables_account:
        # Sales not paid the same day (debit the customers) or money for other days' sales (credit).
        label = ("Clients — ventes non encaissées ce jour" if residual < 0
                 else "Clients — encaissements de ventes d'autres jours")
        postings.append(_Posting(acc.receivables_account, "receivable", "", "", "", label, True, -residual))
        ctx.receivables[entry_key] = -residual
        debit, credit, residual = max(debit, credit), max(debit, credit), 0
    if abs(residual) > tolerance:
        raise ctx.source_error(
            f"debit ≠ credit: debits {cents_to_text(debit)}, credits {cents_to_text(credit)} "
            f"(difference {cents_to_text(residual)}, rounding tolerance {cents_to_text(tolerance)} "
            f"= {len(postings)} lines × {acc.rounding_tolerance_cents_per_line} cent)",
            record=f"entry {entry_key}", field_name="amount_cents",
            debit_cents=debit, credit_cents=credit,
        )
    if residual > 0:
        postings.append(_Posting(acc.rounding_credit_account, "rounding", "", "", "", "Écart d'arrondi", True,
                                 -residual))
    elif residual < 0:
        postings.append(_Posting(acc.rounding_debit_account, "rounding", "", "", "", "Écart d'arrondi", True,
                                 -residual))
    rows.extend(
        (entry_key, i, p.account, p.label, max(p.amount, 0), max(-p.amount, 0), p.kind, p.source_key,
         p.vat_rate, p.country, p.mapped)
        for i, p in enumerate(postings, start=1)
    )
    total = max(debit, credit)
    return EntryInfo(entry_key, label, location, total, total, residual, len(postings))


def _lines_frame(rows: list[tuple]) -> pd.DataFrame:
    """The journal lines with the dtypes of :data:`JOURNAL_LINE_COLUMNS`, built column by column."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(JOURNAL_LINE_COLUMNS)
    return pd.DataFrame({
        name: text_array(values) if dtype == "string" else np.array(values, dtype=dtype)
        for (name, dtype), values in zip(JOURNAL_LINE_COLUMNS.items(), columns, strict=True)
    }, copy=False)


# --- totals, keys, warnings ---------------------------------------------------------------------


def _totals_by_method(groups: list[_MethodGroup]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for g in groups:
        totals[g.method] = totals.get(g.method, 0) + g.amount_cents
    return dict(sorted(totals.items()))


def _rate_key(tax: Taxation) -> str:
    return f"{tax.country} {tax.rate}" if tax.oss else tax.rate


def _totals_by_rate(groups: list[_LineGroup]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for g in groups:
        if g.taxation is None:
            continue
        t = totals.setdefault(_rate_key(g.taxation), {"net_cents": 0, "vat_cents": 0, "gross_cents": 0})
        t["net_cents"] += g.net_cents
        t["vat_cents"] += g.vat_cents
        t["gross_cents"] += g.gross_cents
    return dict(sorted(totals.items()))


def _warnings(ctx: _Context, groups: list[_LineGroup]) -> list[str]:
    """Facts the accountant should see, which do not stop the posting."""
    acc = ctx.tenant.accounting
    out = []
    if ctx.unmapped_methods:
        names = ", ".join(repr(m) for m in sorted(ctx.unmapped_methods))
        out.append(f"payment methods not mapped, booked to {acc.other_payment_methods_account}: {names}")
    if ctx.unmapped_categories:
        names = ", ".join(repr(c) for c in sorted(ctx.unmapped_categories))
        out.append(f"categories not mapped, booked by VAT rate: {names}")
    for entry_key, amount in sorted(ctx.receivables.items()):
        side = "debited" if amount > 0 else "credited"
        out.append(f"{entry_key}: sales and money received differ by {cents_to_text(abs(amount))}, "
                   f"{side} to customers ({acc.receivables_account})")
    # VAT per rate should be the rate applied to the net, within a cent per line.
    per_rate: dict[tuple[str, str, bool], list[int]] = {}
    for g in groups:
        tax = g.taxation
        if tax is None:
            continue
        t = per_rate.setdefault((tax.country, tax.rate, tax.oss), [0, 0, 0])
        t[0] += g.net_cents
        t[1] += g.vat_cents
        t[2] += g.count
    for (country, rate, oss), (net, vat, count) in sorted(per_rate.items()):
        expected = int((Decimal(net) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if abs(expected - vat) > count:
            where = f" ({country})" if oss else ""
            out.append(
                f"VAT at {format_rate_fr(rate)}{where} is {cents_to_text(vat)} but {format_rate_fr(rate)} "
                f"of the net {cents_to_text(net)} is {cents_to_text(expected)}"
            )
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


__all__ = ["FAILURE_COLUMNS", "EntryInfo", "MappedEntry", "map_period"]
