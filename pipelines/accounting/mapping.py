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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from pipelines.accounting.checks import (
    FAILURE_COLUMNS,
    JOURNAL_LINE_COLUMNS,
    JOURNAL_LINE_KINDS,
    cents_to_text,
    failure_frame,
    schema_failures,
)
from pipelines.accounting.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    Payments,
    SalesLines,
    empty_frame,
)
from pipelines.accounting.payment_methods import resolve_method
from pipelines.accounting.vat_rates import canonical_rate, format_rate_fr, taxation_for
from resources.errors import MappingError, SourceDataError
from resources.tenants import ACCOUNT_RE, TenantConfig

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

    ``lines`` has the columns of :data:`pipelines.accounting.checks.JOURNAL_LINE_COLUMNS`
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
    taxation = _taxation_per_line(ctx, sales_lines)
    _cross_check_closure(ctx, sales_lines, payments, closure_totals)

    period_key = _period_key(period_start, period_end)
    base_key = _entry_key(tenant.slug, period_key)
    base_label = f"Ventes {period_key} — {tenant.name}"
    acc = tenant.accounting

    if acc.per_location:
        locations = sorted(set(sales_lines["location"].astype(str)) | set(payments["location"].astype(str)))
        groups = [
            (loc, _entry_key(tenant.slug, period_key, _slugify(loc) or "sans-lieu"),
             f"{base_label} — {loc or 'sans lieu'}")
            for loc in locations
        ]
    else:
        groups = [(None, base_key, base_label)]

    frames: list[pd.DataFrame] = []
    entries: list[EntryInfo] = []
    for location, entry_key, label in groups:
        if location is None:
            lines_here, pays_here, tax_here = sales_lines, payments, taxation
        else:
            mask = sales_lines["location"].astype(str) == location
            lines_here = sales_lines[mask]
            tax_here = [t for t, keep in zip(taxation, mask, strict=True) if keep]
            pays_here = payments[payments["location"].astype(str) == location]
        postings = _payment_postings(ctx, pays_here) + _sales_postings(ctx, lines_here, tax_here)
        lines, info = _balance(ctx, entry_key, label, location, _net(postings))
        frames.append(lines)
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

    lines = pd.concat(frames, ignore_index=True) if frames else empty_frame(JOURNAL_LINE_COLUMNS)
    lines = _typed(lines)
    warnings = _warnings(ctx, sales_lines, taxation)
    unmapped_rows = list(ctx.unmapped_methods.values()) + list(ctx.unmapped_categories.values())
    return MappedEntry(
        tenant=tenant.slug,
        period_key=period_key,
        entry_key=base_key,
        entry_label=base_label,
        lines=lines,
        entries=entries,
        unmapped_methods=sorted(ctx.unmapped_methods),
        unmapped_categories=sorted(ctx.unmapped_categories),
        unmapped_cases=failure_frame(unmapped_rows),
        warnings=warnings,
        totals_by_method=_totals_by_method(payments),
        totals_by_rate=_totals_by_rate(sales_lines, taxation),
        tips_cents=int(payments["tip_cents"].sum()) if len(payments) else 0,
        rounding_cents=sum(e.rounding_cents for e in entries),
    )


# --- validation ---------------------------------------------------------------------------------


def _or_empty(frame: pd.DataFrame | None, columns: dict[str, str]) -> pd.DataFrame:
    if frame is None or (len(frame) == 0 and list(frame.columns) != list(columns)):
        return empty_frame(columns)
    return frame.reset_index(drop=True)


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
    bad = frame[frame["currency"].astype(str) != ctx.tenant.currency]
    if len(bad):
        row = bad.iloc[0]
        raise ctx.source_error(
            f"currency {row['currency']} differs from the tenant's {ctx.tenant.currency}",
            record=f"order {row['order_id']} {line_col.removesuffix('_id')} {row[line_col]}",
            field_name="currency",
        )


def _taxation_per_line(ctx: _Context, sales_lines: pd.DataFrame) -> list:
    """Taxation of each sales line (``None`` for gift cards), raising on the first bad rate."""
    oss = set(ctx.tenant.accounting.oss)
    result = []
    for line in sales_lines.itertuples(index=False):
        record = f"order {line.order_id} line {line.line_id}"
        if line.kind == "gift_card":
            if int(line.vat_cents) != 0:
                raise ctx.source_error(
                    f"a gift card sold carries no VAT (a liability, not revenue) but the line has "
                    f"{cents_to_text(int(line.vat_cents))} of VAT",
                    record=record, field_name="vat_cents",
                )
            result.append(None)
            continue
        decision = taxation_for(ctx.tenant.country, str(line.country), str(line.vat_rate), oss,
                                ctx.on, ctx.until)
        if decision.problem_kind == "unknown_rate":
            raise ctx.source_error(decision.problem, record=record, field_name="vat_rate")
        if decision.problem_kind == "no_oss_accounts":
            raise ctx.mapping_error(decision.problem, record=record, field_name="country")
        result.append(decision)
    return result


def _cross_check_closure(
    ctx: _Context, sales_lines: pd.DataFrame, payments: pd.DataFrame, closure: pd.DataFrame
) -> None:
    """The source's Z-report totals must equal what the lines and payments add up to."""
    if not len(closure):
        return
    by_location = ctx.tenant.accounting.per_location
    mismatches: list[tuple[str, str, str]] = []  # (message, record, field)

    def where(location: str) -> str:
        return f" at location {location!r}" if by_location else ""

    def group(frame: pd.DataFrame, key_col: str, cols: list[str]) -> dict[tuple[str, str], dict[str, int]]:
        out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(cols, 0))
        for row in frame.itertuples(index=False):
            key = (str(row.location) if by_location else "", str(getattr(row, key_col)))
            for col in cols:
                out[key][col] += int(getattr(row, col))
        return out

    pays = group(payments, "method", ["amount_cents"])
    taxed = sales_lines[sales_lines["kind"] != "gift_card"].assign(
        rate=[canonical_rate(r) for r in sales_lines.loc[sales_lines["kind"] != "gift_card", "vat_rate"]]
    )
    rates = group(taxed, "rate", ["gross_cents", "net_cents", "vat_cents"])
    z_pay = group(closure[closure["dimension"] == "payment"], "key", ["amount_cents"])
    z_vat_rows = closure[closure["dimension"] == "vat"]
    z_vat = group(
        z_vat_rows.assign(key=[canonical_rate(k) for k in z_vat_rows["key"]]),
        "key", ["amount_cents", "net_cents", "vat_cents"],
    )
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


def _payment_postings(ctx: _Context, payments: pd.DataFrame) -> list[_Posting]:
    acc = ctx.tenant.accounting
    postings: list[_Posting] = []
    if not len(payments):
        return postings
    for method, group in payments.groupby(payments["method"].astype(str), sort=True):
        resolved = resolve_method(method, acc)
        amount = int(group["amount_cents"].sum())
        if not resolved.mapped and method not in ctx.unmapped_methods:
            first = group.iloc[0]
            ctx.unmapped_methods[method] = {
                "order_id": str(first["order_id"]), "line_id": str(first["payment_id"]),
                "field": "method", "value": method,
                "reason": f"payment method not mapped: {len(group)} payment(s), {cents_to_text(amount)} "
                          f"booked to {resolved.account}",
            }
        postings.append(_Posting(resolved.account, "payment", method, "", "",
                                 f"Encaissements {method}", resolved.mapped, amount))
    tips = int(payments["tip_cents"].sum())
    if tips:
        postings.append(_Posting(acc.tips_account, "tip", "", "", "", "Pourboires", True, -tips))
    return postings


def _sales_postings(ctx: _Context, sales_lines: pd.DataFrame, taxation: list) -> list[_Posting]:
    acc = ctx.tenant.accounting
    by_rate = {canonical_rate(k): v for k, v in acc.sales_accounts_by_rate.items()}
    vat_by_rate = {canonical_rate(k): v for k, v in acc.vat_accounts_by_rate.items()}
    postings: list[_Posting] = []
    for line, tax in zip(sales_lines.itertuples(index=False), taxation, strict=True):
        if tax is None:  # gift card sold (or refunded): a liability, outside revenue and VAT
            postings.append(_Posting(acc.gift_card_liability_account, "gift_card", "", "", "",
                                     "Cartes cadeaux vendues", True, -int(line.gross_cents)))
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
            category = str(line.category)
            if acc.sales_by == "category" and line.kind != "shipping":
                if category in acc.sales_accounts_by_category:
                    sales_account, key, key_text = acc.sales_accounts_by_category[category], category, f" {category}"
                elif line.kind == "item" or category:
                    mapped = False
                    key, key_text = category, f" {category}" if category else ""
                    if category not in ctx.unmapped_categories:
                        ctx.unmapped_categories[category] = {
                            "order_id": str(line.order_id), "line_id": str(line.line_id),
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
        if bool(line.is_refund) and acc.refunds_separate:
            kind, prefix, account = "refund", "Remboursements", acc.refunds_account or sales_account
        postings.append(_Posting(account, kind, key, rate, country,
                                 f"{prefix}{key_text}{where} {rate_text}", mapped, -int(line.net_cents)))
        postings.append(_Posting(vat_account, "vat", rate, rate, country,
                                 f"TVA collectée{where} {format_rate_fr(rate)}", True, -int(line.vat_cents)))
    return postings


def _oss_accounts(ctx: _Context, country: str, rate: str, line) -> tuple[str, str]:
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
    ctx: _Context, entry_key: str, label: str, location: str | None, postings: list[_Posting]
) -> tuple[pd.DataFrame, EntryInfo]:
    acc = ctx.tenant.accounting
    debit = sum(p.amount for p in postings if p.amount > 0)
    credit = -sum(p.amount for p in postings if p.amount < 0)
    residual = debit - credit
    tolerance = acc.rounding_tolerance_cents_per_line * len(postings)
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
    rows = [
        {
            "entry_key": entry_key, "line_no": i, "account": p.account, "label": p.label,
            "debit_cents": max(p.amount, 0), "credit_cents": max(-p.amount, 0), "kind": p.kind,
            "source_key": p.source_key, "vat_rate": p.vat_rate, "country": p.country, "mapped": p.mapped,
        }
        for i, p in enumerate(postings, start=1)
    ]
    total = max(debit, credit)
    info = EntryInfo(entry_key, label, location, total, total, residual, len(rows))
    return pd.DataFrame(rows, columns=list(JOURNAL_LINE_COLUMNS)), info


def _typed(lines: pd.DataFrame) -> pd.DataFrame:
    return lines.astype(JOURNAL_LINE_COLUMNS).reset_index(drop=True)


# --- totals, keys, warnings ---------------------------------------------------------------------


def _totals_by_method(payments: pd.DataFrame) -> dict[str, int]:
    if not len(payments):
        return {}
    sums = payments.groupby(payments["method"].astype(str), sort=True)["amount_cents"].sum()
    return {str(k): int(v) for k, v in sums.items()}


def _rate_key(tax) -> str:
    return f"{tax.country} {tax.rate}" if tax.oss else tax.rate


def _totals_by_rate(sales_lines: pd.DataFrame, taxation: list) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for line, tax in zip(sales_lines.itertuples(index=False), taxation, strict=True):
        if tax is None:
            continue
        t = totals.setdefault(_rate_key(tax), {"net_cents": 0, "vat_cents": 0, "gross_cents": 0})
        t["net_cents"] += int(line.net_cents)
        t["vat_cents"] += int(line.vat_cents)
        t["gross_cents"] += int(line.gross_cents)
    return dict(sorted(totals.items()))


def _warnings(ctx: _Context, sales_lines: pd.DataFrame, taxation: list) -> list[str]:
    """Facts the accountant should see, which do not stop the posting."""
    acc = ctx.tenant.accounting
    out = []
    if ctx.unmapped_methods:
        names = ", ".join(repr(m) for m in sorted(ctx.unmapped_methods))
        out.append(f"payment methods not mapped, booked to {acc.other_payment_methods_account}: {names}")
    if ctx.unmapped_categories:
        names = ", ".join(repr(c) for c in sorted(ctx.unmapped_categories))
        out.append(f"categories not mapped, booked by VAT rate: {names}")
    # VAT per rate should be the rate applied to the net, within a cent per line.
    per_rate: dict[tuple[str, str, bool], list[int]] = {}
    for line, tax in zip(sales_lines.itertuples(index=False), taxation, strict=True):
        if tax is None:
            continue
        t = per_rate.setdefault((tax.country, tax.rate, tax.oss), [0, 0, 0])
        t[0] += int(line.net_cents)
        t[1] += int(line.vat_cents)
        t[2] += 1
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
