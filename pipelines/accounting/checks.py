"""Blocking checks on a tenant-day's entry, shared by the mapping and the Dagster asset checks.

Each check returns a :class:`CheckOutcome` whose ``failure_cases`` name the order, the line and
the field at fault (the columns of :data:`FAILURE_COLUMNS`), because the reader of a failed
check — the data team, the accountant, or the till (Toporder) — has to find the record to fix.

- :func:`check_balanced`        journal lines are well formed (pandera, lazy) and every entry
                                balances to the cent. ERROR.
- :func:`check_vat_rates_known` every taxed sales line has a rate in force for its taxation
                                country on the day (``vat_rates``). ERROR.
- :func:`check_accounts_mapped` payment methods / categories that fell back to the "other"
                                account: WARN (the entry is posted, the accountant maps them), or
                                ERROR for a ``strict`` tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipelines.accounting.frames import LINE_KINDS, SalesLines
from pipelines.accounting.vat_rates import canonical_rate, taxation_for
from resources.tenants import ACCOUNT_RE, TenantConfig

if TYPE_CHECKING:
    from pipelines.accounting.mapping import MappedEntry

FAILURE_COLUMNS = ["order_id", "line_id", "field", "value", "reason"]
JOURNAL_LINE_KINDS = (
    "payment", "tip", "gift_card", "sales", "shipping", "discount", "refund", "vat", "rounding",
)
JOURNAL_LINE_COLUMNS = {
    "entry_key": "string",
    "line_no": "int64",
    "account": "string",
    "label": "string",
    "debit_cents": "int64",
    "credit_cents": "int64",
    "kind": "string",
    "source_key": "string",
    "vat_rate": "string",
    "country": "string",
    "mapped": "bool",
}

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


def failure_frame(rows: list[dict]) -> pd.DataFrame:
    """A failure-cases frame with the :data:`FAILURE_COLUMNS`, values as text."""
    if not rows:
        return pd.DataFrame({c: pd.array([], dtype="string") for c in FAILURE_COLUMNS})
    df = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    return df.fillna("").astype("string")


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
    frame = frame.reset_index(drop=True)
    if _looks_valid(model, frame):
        return failure_frame([])
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


def _full(series: pd.Series, pattern: str) -> bool:
    return bool(series.astype(str).str.fullmatch(pattern).all())


def _nonempty(series: pd.Series) -> bool:
    return bool((series.astype(str).str.len() > 0).all())


# Vectorised pre-checks mirroring the pandera models. pandera 0.35 formats a failure report for
# every string column even when it passes (~10 ms per column), far too slow for a pure function
# called per tenant-day and thousands of times by property tests. A frame passing these checks
# passes the model (tests/accounting/test_checks.py holds the two in step); anything else goes
# to pandera, which stays the authority on *what* is wrong.
_FAST_CHECKS = {
    "SalesLines": lambda df: (
        _nonempty(df["order_id"]) and _nonempty(df["line_id"])
        and bool(df["kind"].isin(LINE_KINDS).all())
        and _full(df["vat_rate"], r"\d+(\.\d+)?") and _full(df["country"], r"[A-Z]{2}")
        and _full(df["currency"], r"[A-Z]{3}")
        and bool((df["gross_cents"] == df["net_cents"] + df["vat_cents"]).all())
        and bool((~df["is_refund"] | (df["gross_cents"] <= 0)).all())
    ),
    "Payments": lambda df: (
        _nonempty(df["payment_id"]) and _nonempty(df["method"])
        and bool((df["tip_cents"] >= 0).all()) and _full(df["currency"], r"[A-Z]{3}")
        and bool((~df["is_refund"] | (df["amount_cents"] <= 0)).all())
    ),
    "ClosureTotals": lambda df: bool(df["dimension"].isin(["payment", "vat"]).all()) and _nonempty(df["key"]),
    "JournalLines": lambda df: (
        _nonempty(df["entry_key"]) and bool((df["entry_key"].astype(str).str.len() <= 64).all())
        and bool((df["line_no"] >= 1).all()) and _full(df["account"], ACCOUNT_RE.pattern.strip("^$"))
        and _nonempty(df["label"]) and bool((df["debit_cents"] >= 0).all())
        and bool((df["credit_cents"] >= 0).all()) and bool(df["kind"].isin(JOURNAL_LINE_KINDS).all())
        and bool(((df["debit_cents"] > 0) ^ (df["credit_cents"] > 0)).all())
        and not bool(df.duplicated(["entry_key", "line_no"]).any())
    ),
}


def _looks_valid(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> bool:
    """Cheap structural + value checks; ``False`` means "ask pandera", not "invalid"."""
    fast = _FAST_CHECKS.get(model.__name__)
    if fast is None:
        return False
    columns = model.to_schema().columns
    if set(frame.columns) != set(columns) or frame.isna().any().any():
        return False
    for name, column in columns.items():
        if frame[name].dtype != column.dtype.type:
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
    tenant has OSS accounts for (see :func:`pipelines.accounting.vat_rates.taxation_for`).
    Gift-card lines carry no VAT and are not checked. Malformed rates fail the schema first.
    """
    rows = schema_failures(SalesLines, sales_lines, id_columns=("order_id", "line_id")).to_dict("records")
    oss = set(tenant.accounting.oss)
    for line in sales_lines.itertuples(index=False):
        if line.kind == "gift_card" or any(
            r["order_id"] == line.order_id and r["line_id"] == line.line_id and r["field"] == "vat_rate"
            for r in rows
        ):
            continue
        try:
            rate = canonical_rate(line.vat_rate)
        except ValueError:
            continue  # reported by the schema
        decision = taxation_for(tenant.country, str(line.country or tenant.country), rate, oss, on, until)
        if decision.problem is not None:
            rows.append({"order_id": str(line.order_id), "line_id": str(line.line_id),
                         "field": "vat_rate", "value": rate, "reason": decision.problem})
    passed = not rows
    description = (
        f"all {len(sales_lines)} sales lines have a VAT rate in force"
        if passed else f"{len(rows)} sales line(s) with an unknown or malformed VAT rate"
    )
    return CheckOutcome(passed, "ERROR", description, failure_frame(rows))


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


def cents_to_text(cents: int) -> str:
    """``123456`` → ``"1234.56 €"`` (exact, from integer cents)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d} €"
