"""Blocking checks on a tenant-day's entry, shared by the mapping and the Dagster asset checks.

Each check returns a :class:`CheckOutcome` whose ``failure_cases`` name the order, the line and
the field at fault (:mod:`core.accounting.failures`), because the reader of a failed check — the
data team, the accountant, or the till (Toporder) — has to find the record to fix.

- :func:`check_balanced`        journal lines are well formed (pandera, lazy) and every entry
                                balances to the cent. ERROR.
- :func:`check_vat_rates_known` every taxed sales line has a rate in force for its taxation
                                country on the day (``vat_rates``). ERROR.
- :func:`check_accounts_mapped` payment methods / categories that fell back to the "other"
                                account: WARN (the entry is posted, the accountant maps them), or
                                ERROR for a ``strict`` tenant.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.api.types import infer_dtype
from pandera.typing import Series

from core.accounting.entry import MappedEntry
from core.accounting.failures import column_values, failure_frame
from core.accounting.vat_rates import canonical_rate, taxation_for
from core.frames import LINE_KINDS, SalesLines
from core.money import cents_to_text
from core.tenants import ACCOUNT_RE, TenantConfig

JOURNAL_LINE_KINDS = (
    "payment", "tip", "gift_card", "sales", "shipping", "discount", "refund", "vat", "receivable", "rounding",
)

Severity = Literal["ERROR", "WARN"]


@dataclass(frozen=True)
class CheckOutcome:
    """Result of one blocking check, ready to become a Dagster ``AssetCheckResult``."""

    passed: bool
    severity: Severity
    description: str
    failure_cases: pd.DataFrame = field(default_factory=lambda: failure_frame([]))

    @property
    def failure_count(self) -> int:
        return len(self.failure_cases)


class JournalLines(pa.DataFrameModel):
    """One row per journal line; an entry is the rows sharing ``entry_key``."""

    entry_key: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1, "max_value": 64})
    line_no: Series[int] = pa.Field(ge=1)
    account: Series[pd.StringDtype] = pa.Field(str_matches=ACCOUNT_RE.pattern)
    label: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    debit_cents: Series[int] = pa.Field(ge=0)
    credit_cents: Series[int] = pa.Field(ge=0)
    kind: Series[pd.StringDtype] = pa.Field(isin=list(JOURNAL_LINE_KINDS))
    source_key: Series[pd.StringDtype]
    vat_rate: Series[pd.StringDtype]
    country: Series[pd.StringDtype]
    mapped: Series[bool]

    class Config:
        strict = True

    @pa.dataframe_check(error="a line has either a debit or a credit, never both and never neither")
    @classmethod
    def one_side(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["debit_cents"] > 0) ^ (df["credit_cents"] > 0)

    @pa.dataframe_check(error="line numbers are unique within an entry")
    @classmethod
    def unique_line_no(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["entry_key", "line_no"], keep=False)


# For frame-level checks pandera reports every column of the failing row: name the one to fix.
_FRAME_CHECK_FIELD = {
    "gross_cents must equal net_cents + vat_cents": "gross_cents",
    "a refund line must not have a positive amount": "gross_cents",
    "a refund payment must not have a positive amount": "amount_cents",
    "a line has either a debit or a credit, never both and never neither": "debit_cents",
    "line numbers are unique within an entry": "line_no",
}


def schema_failures(
    model: type[pa.DataFrameModel], frame: pd.DataFrame, *, id_columns: tuple[str, str]
) -> pd.DataFrame:
    """Validate ``frame`` lazily; return one failure case per (row, check), naming the record.

    ``id_columns`` are the frame's (order, line) identifiers, e.g. ``("order_id", "line_id")``
    for sales lines or ``("order_id", "payment_id")`` for payments.
    """
    if _looks_valid(model, frame):
        return failure_frame([])
    frame = frame.reset_index(drop=True)  # failure cases name rows by position
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return failure_frame([])
    rows: list[dict] = []
    seen: set[tuple] = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        frame_level = case.schema_context == "DataFrameSchema"
        column = _FRAME_CHECK_FIELD.get(check, "row") if frame_level else str(case.column)
        index = case.index
        key = (check, column, index)
        if key in seen:
            continue
        seen.add(key)
        order_id = line_id = ""
        value = "" if frame_level else str(case.failure_case)
        if index is not None and not pd.isna(index) and int(index) < len(frame):
            row = frame.iloc[int(index)]
            order_id = str(row.get(id_columns[0], ""))
            line_id = str(row.get(id_columns[1], ""))
            if frame_level and column in frame.columns:
                value = str(row[column])
        rows.append({"order_id": order_id, "line_id": line_id, "field": column, "value": value,
                     "reason": check})
    return failure_frame(rows)


# Vectorised pre-checks mirroring the pandera models. pandera 0.35 formats a failure report for
# every string column even when it passes (~10 ms per column), far too slow for a pure function
# called per tenant-day and thousands of times by property tests. A frame passing these checks
# passes the model (tests/accounting/test_checks.py and test_properties.py hold the two in step);
# anything else goes to pandera, which stays the authority on *what* is wrong.
#
# They work on the columns' numpy arrays (object arrays of ``str`` for the string columns,
# shared with the frame, no copy): a regex runs once per *distinct* value, not once per row,
# because rates, countries and currencies take a handful of values even on a million lines.


def _nonempty(values: np.ndarray) -> bool:
    return not bool((values == "").any())


def _full(values: np.ndarray, pattern: str) -> bool:
    compiled = re.compile(pattern)
    return all(isinstance(v, str) and compiled.fullmatch(v) for v in pd.unique(values))


def _isin(values: np.ndarray, allowed) -> bool:
    return all(v in allowed for v in pd.unique(values))


def _sales_lines_ok(df: pd.DataFrame) -> bool:
    def v(name: str) -> np.ndarray:
        return column_values(df, name)

    return (
        _nonempty(v("order_id")) and _nonempty(v("line_id")) and _isin(v("kind"), LINE_KINDS)
        and _full(v("vat_rate"), r"\d+(\.\d+)?") and _full(v("country"), r"[A-Z]{2}")
        and _full(v("currency"), r"[A-Z]{3}")
        and bool((v("gross_cents") == v("net_cents") + v("vat_cents")).all())
        and bool((~v("is_refund") | (v("gross_cents") <= 0)).all())
    )


def _payments_ok(df: pd.DataFrame) -> bool:
    def v(name: str) -> np.ndarray:
        return column_values(df, name)

    return (
        _nonempty(v("payment_id")) and _nonempty(v("method")) and bool((v("tip_cents") >= 0).all())
        and _full(v("currency"), r"[A-Z]{3}")
        and bool((~v("is_refund") | (v("amount_cents") <= 0)).all())
    )


def _closure_totals_ok(df: pd.DataFrame) -> bool:
    return _isin(column_values(df, "dimension"), ("payment", "vat")) and _nonempty(column_values(df, "key"))


def _journal_lines_ok(df: pd.DataFrame) -> bool:
    def v(name: str) -> np.ndarray:
        return column_values(df, name)

    return (
        _nonempty(v("entry_key")) and all(len(k) <= 64 for k in pd.unique(v("entry_key")))
        and bool((v("line_no") >= 1).all()) and _full(v("account"), ACCOUNT_RE.pattern.strip("^$"))
        and _nonempty(v("label")) and bool((v("debit_cents") >= 0).all())
        and bool((v("credit_cents") >= 0).all()) and _isin(v("kind"), JOURNAL_LINE_KINDS)
        and bool(((v("debit_cents") > 0) ^ (v("credit_cents") > 0)).all())
        and not bool(df.duplicated(["entry_key", "line_no"]).any())
    )


_FAST_CHECKS = {
    "SalesLines": _sales_lines_ok,
    "Payments": _payments_ok,
    "ClosureTotals": _closure_totals_ok,
    "JournalLines": _journal_lines_ok,
}


@functools.cache
def _model_dtypes(model: type[pa.DataFrameModel]) -> dict[str, object]:
    """Column name → pandas dtype of a model (``to_schema`` costs ~0.1 ms: once per model)."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def _no_missing(series: pd.Series) -> bool:
    """No NA in a column whose dtype already matched the model (int and bool cannot hold one)."""
    kind = series.dtype.kind
    if kind in "iub":
        return True
    values = np.asarray(series.array)
    if kind == "f":
        return not bool(np.isnan(values).any())
    # "string": every value is a ``str`` (a StringDtype holds str or NA); "empty": no rows.
    return infer_dtype(values, skipna=False) in ("string", "empty")


def _looks_valid(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> bool:
    """Cheap structural + value checks; ``False`` means "ask pandera", not "invalid"."""
    fast = _FAST_CHECKS.get(model.__name__)
    if fast is None:
        return False
    dtypes = _model_dtypes(model)
    if len(frame.columns) != len(dtypes) or set(frame.columns) != set(dtypes):
        return False
    for name, dtype in dtypes.items():
        if frame[name].dtype != dtype or not _no_missing(frame[name]):
            return False
    return bool(fast(frame))


def check_balanced(lines: pd.DataFrame) -> CheckOutcome:
    """Every entry in ``lines`` is well formed and its debits equal its credits, to the cent."""
    cases = schema_failures(JournalLines, lines, id_columns=("entry_key", "line_no"))
    rows = cases.to_dict("records")
    if len(lines):
        sums = lines.groupby("entry_key", sort=True)[["debit_cents", "credit_cents"]].sum()
        for entry_key, total in sums.iterrows():
            debit, credit = int(total["debit_cents"]), int(total["credit_cents"])
            if debit != credit:
                rows.append({
                    "order_id": str(entry_key), "line_id": "", "field": "debit_cents",
                    "value": f"{debit}",
                    "reason": f"debit ≠ credit: debits {cents_to_text(debit)}, credits "
                              f"{cents_to_text(credit)}",
                })
    passed = not rows
    entries = lines["entry_key"].nunique() if len(lines) else 0
    description = (
        f"{entries} entr{'y' if entries == 1 else 'ies'} balanced ({len(lines)} lines)"
        if passed else f"{len(rows)} problem(s) in the journal lines"
    )
    return CheckOutcome(passed, "ERROR", description, failure_frame(rows))


def check_vat_rates_known(
    tenant: TenantConfig, sales_lines: pd.DataFrame, on: date, until: date | None = None
) -> CheckOutcome:
    """Every taxed line's VAT rate is in force for its taxation country on ``on`` (.. ``until``).

    The taxation country is the tenant's, or the delivery country for an EU distance sale the
    tenant has OSS accounts for (see :func:`core.accounting.vat_rates.taxation_for`).
    Gift-card lines carry no VAT and are not checked. Malformed rates fail the schema first.
    """
    rows = schema_failures(SalesLines, sales_lines, id_columns=("order_id", "line_id")).to_dict("records")
    if len(sales_lines):
        rows += _unknown_rate_cases(tenant, sales_lines, rows, on, until)
    passed = not rows
    description = (
        f"all {len(sales_lines)} sales lines have a VAT rate in force"
        if passed else f"{len(rows)} sales line(s) with an unknown or malformed VAT rate"
    )
    return CheckOutcome(passed, "ERROR", description, failure_frame(rows))


def _unknown_rate_cases(
    tenant: TenantConfig, sales_lines: pd.DataFrame, schema_rows: list[dict], on: date, until: date | None
) -> list[dict]:
    """One failure case per taxed line whose rate is not in force, in line order.

    The rate is judged once per distinct (taxation country, rate) pair, then the verdict is
    spread back to the lines: a day has a handful of pairs however many lines it has. Lines
    whose rate the schema already reported, or that is not a number at all, are skipped.
    """
    order_ids = column_values(sales_lines, "order_id")
    line_ids = column_values(sales_lines, "line_id")
    candidate = column_values(sales_lines, "kind") != "gift_card"
    reported = {(r["order_id"], r["line_id"]) for r in schema_rows if r["field"] == "vat_rate"}
    if reported:
        candidate &= np.fromiter(((o, li) not in reported for o, li in zip(order_ids, line_ids, strict=True)),
                                 dtype=bool, count=len(order_ids))
    rate_codes, raw_rates = pd.factorize(column_values(sales_lines, "vat_rate"))
    rates = []
    for raw in raw_rates:
        try:
            rates.append(canonical_rate(raw))
        except ValueError:
            rates.append(None)  # reported by the schema
    candidate &= rate_codes >= 0  # NA: reported by the schema
    candidate &= np.array([r is not None for r in rates] + [False], dtype=bool)[rate_codes]
    country_codes, countries = pd.factorize(column_values(sales_lines, "country"))
    pair_codes, pairs = pd.factorize(country_codes.astype(np.int64) * (len(raw_rates) + 1) + rate_codes)
    oss_config = tenant.accounting.oss
    oss = frozenset(oss_config.accounts) if oss_config.registered else frozenset()
    problems: list[str | None] = []
    for pair in pairs:
        country_code, rate_code = divmod(int(pair), len(raw_rates) + 1)
        rate = rates[rate_code] if rate_code < len(rates) else None
        country = countries[country_code] if country_code >= 0 else ""
        problem = None
        if rate is not None:
            problem = taxation_for(tenant.country, str(country or tenant.country), rate, oss, on, until).problem
        problems.append(problem)
    has_problem = np.array([p is not None for p in problems], dtype=bool)
    out = []
    for i in np.flatnonzero(candidate & has_problem[pair_codes]):
        rate_code = rate_codes[i]
        out.append({"order_id": str(order_ids[i]), "line_id": str(line_ids[i]), "field": "vat_rate",
                    "value": rates[rate_code], "reason": problems[pair_codes[i]]})
    return out


def check_accounts_mapped(tenant: TenantConfig, mapped_entry: MappedEntry) -> CheckOutcome:
    """Payment methods and categories that fell back to a default account.

    WARN for a normal tenant (the entry is posted; the accountant maps the names listed),
    ERROR for a ``strict`` one.
    """
    severity: Severity = "ERROR" if tenant.accounting.strict else "WARN"
    cases = mapped_entry.unmapped_cases
    if not len(cases):
        return CheckOutcome(True, severity, "every payment method and category is mapped", cases)
    parts = []
    if mapped_entry.unmapped_methods:
        names = ", ".join(repr(m) for m in mapped_entry.unmapped_methods)
        parts.append(
            f"payment methods not mapped (booked to {tenant.accounting.other_payment_methods_account}): {names}"
        )
    if mapped_entry.unmapped_categories:
        names = ", ".join(repr(c) for c in mapped_entry.unmapped_categories)
        parts.append(f"categories not mapped (booked by VAT rate): {names}")
    return CheckOutcome(False, severity, "; ".join(parts), cases)

