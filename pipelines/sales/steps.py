"""The steps of one tenant-period, free of Dagster so that the assets stay thin and the CLI,
the tests and the benchmarks can run a period directly.

    fetch_sales     source → canonical frames (pandera-validated) → warehouse
    build_journal   warehouse frames → mapping → blocking checks → journal lines → warehouse
    post_journal    journal lines → Pennylane, exactly once

:func:`run_period` chains the three; the Dagster assets call them one per asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pandera.errors

from core.accounting.checks import CheckOutcome, check_accounts_mapped, check_balanced, check_vat_rates_known
from core.accounting.mapping import MappedEntry, map_period
from core.errors import ErrorClass, MappingError, SourceDataError, SyncError, error_class_of
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    Payments,
    SalesLines,
    SourceDay,
)
from core.money import cents_to_amount
from core.periods import SalesPeriod, sales_period
from core.statuses import DayStatus, PeriodOutcome
from resources.posting import (
    EntryDraft,
    EntryLine,
    PostingResult,
    deterministic_piece_number,
    post_entry_exactly_once,
)
from resources.sources.base import SalesSource
from resources.sources.registry import build_source
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

FRAME_MODELS = {
    "sales_lines": (SalesLines, SALES_LINE_COLUMNS),
    "payments": (Payments, PAYMENT_COLUMNS),
    "closure_totals": (ClosureTotals, CLOSURE_COLUMNS),
}


# ---------------------------------------------------------------------------------------------
# 1. daily_sales
# ---------------------------------------------------------------------------------------------
@dataclass
class SalesOutcome:
    period: SalesPeriod
    day: SourceDay
    status: DayStatus  # COMPLETE, WAITING or EMPTY

    @property
    def waiting(self) -> bool:
        return self.status == DayStatus.WAITING


def validate_source_frames(tenant: TenantConfig, period: SalesPeriod, day: SourceDay) -> None:
    """Pandera-validate the canonical frames; a failure names the order, line and field."""
    for name, (model, _cols) in FRAME_MODELS.items():
        frame = getattr(day, name)
        try:
            model.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            raise SourceDataError(
                f"{name}: {len(exc.failure_cases)} invalid value(s): " + _describe_failures(frame, exc),
                tenant=tenant.slug, day=period.key, details={"dataset": name},
            ) from None


def _describe_failures(frame: pd.DataFrame, exc: pandera.errors.SchemaErrors, limit: int = 5) -> str:
    parts = []
    for _, case in exc.failure_cases.head(limit).iterrows():
        idx = case.get("index")
        where = ""
        if idx is not None and not pd.isna(idx) and idx in frame.index:
            row = frame.loc[idx]
            ident = [f"{k} {row[k]}" for k in ("order_id", "line_id", "payment_id", "key") if k in row.index]
            where = " (" + ", ".join(ident) + ")" if ident else ""
        column = case.get("column") or "row"
        parts.append(f"field {column}{where}: {case.get('check')} failed for {case.get('failure_case')!r}")
    return "; ".join(parts)


def waiting_deadline(tenant: TenantConfig, period: SalesPeriod) -> datetime:
    return period.end_local + timedelta(hours=tenant.accounting.waiting_deadline_hours)


def fetch_sales(
    tenant: TenantConfig, period: SalesPeriod, source: SalesSource, warehouse: Warehouse,
    *, now: datetime | None = None,
) -> SalesOutcome:
    """Fetch the period from the source and store it. A period not final yet is *waiting*
    (nothing stored, no error) until the tenant's deadline, after which it is a source error."""
    try:
        day = source.fetch(period)
    except SyncError as exc:
        raise exc.with_context(tenant=tenant.slug, day=period.key) from exc.__cause__
    now = now or datetime.now(UTC)
    if not day.complete:
        reason = day.waiting_reason or "the source says the day is not final yet"
        if now >= waiting_deadline(tenant, period):
            warehouse.set_day_status(tenant.slug, period.key, DayStatus.FAILED, reason, ErrorClass.SOURCE)
            raise SourceDataError(
                f"the day is still not final {tenant.accounting.waiting_deadline_hours} h after it "
                f"ended: {reason}", tenant=tenant.slug, day=period.key,
            )
        warehouse.set_day_status(tenant.slug, period.key, DayStatus.WAITING, reason)
        return SalesOutcome(period, day, DayStatus.WAITING)
    validate_source_frames(tenant, period, day)
    warehouse.replace_partition(tenant.slug, period.key, {
        "sales_lines": day.sales_lines, "payments": day.payments, "closure_totals": day.closure_totals,
    })
    warehouse.record_payment_methods(tenant.slug, period.key, day.payment_methods_seen)
    status = DayStatus.EMPTY if not len(day.sales_lines) and not len(day.payments) else DayStatus.COMPLETE
    warehouse.set_day_status(tenant.slug, period.key, status, None)
    return SalesOutcome(period, day, status)


def sales_metadata(outcome: SalesOutcome) -> dict[str, Any]:
    day = outcome.day
    lines, pays = day.sales_lines, day.payments
    meta: dict[str, Any] = {
        "status": outcome.status.value,
        "period": f"{outcome.period.start} → {outcome.period.end - timedelta(days=1)}",
        "sales_lines": len(lines),
        "orders": int(lines["order_id"].nunique()) if len(lines) else 0,
        "payments": len(pays),
        "gross_total": cents_to_amount(int(lines["gross_cents"].sum()) if len(lines) else 0),
        "refunds_total": cents_to_amount(int(lines.loc[lines["is_refund"], "gross_cents"].sum()) if len(lines) else 0),
        "tips_total": cents_to_amount(int(pays["tip_cents"].sum()) if len(pays) else 0),
    }
    if len(pays):
        meta["takings_by_method"] = {
            str(k): cents_to_amount(int(v)) for k, v in pays.groupby("method")["amount_cents"].sum().items()
        }
    if len(lines):
        meta["gross_by_vat_rate"] = {
            f"{k} %": cents_to_amount(int(v)) for k, v in lines.groupby("vat_rate")["gross_cents"].sum().items()
        }
    if day.waiting_reason:
        meta["waiting_reason"] = day.waiting_reason
    if day.notes:
        meta["notes"] = "\n".join(day.notes)
    if day.origin:
        meta["origin"] = day.origin
    return meta


# ---------------------------------------------------------------------------------------------
# 2. journal_lines
# ---------------------------------------------------------------------------------------------
CHECK_NAMES = ("entry_balanced", "vat_rates_known", "accounts_mapped")


@dataclass
class JournalOutcome:
    period: SalesPeriod
    mapped: MappedEntry | None
    checks: dict[str, CheckOutcome]
    error: SyncError | None = None
    empty: bool = False

    @property
    def blocking_failure(self) -> SyncError | None:
        """The error that must stop this period from being posted, if any."""
        if self.error is not None:
            return self.error
        for name, outcome in self.checks.items():
            if not outcome.passed and outcome.severity == "ERROR":
                cls = MappingError if name == "accounts_mapped" else SourceDataError
                return cls(f"blocking check {name} failed: {outcome.description}",
                           tenant=self.period.tenant.slug, day=self.period.key)
        return None


def load_frames(warehouse: Warehouse, tenant: str, key: str) -> dict[str, pd.DataFrame]:
    return {name: warehouse.read_partition(name, tenant, key) for name in FRAME_MODELS}


def _failed(description: str, cases: pd.DataFrame | None = None, severity: str = "ERROR") -> CheckOutcome:
    return CheckOutcome(passed=False, severity=severity, description=description,
                        failure_cases=cases if cases is not None else pd.DataFrame())


def build_journal(tenant: TenantConfig, period: SalesPeriod, warehouse: Warehouse) -> JournalOutcome:
    """Map the stored frames to journal lines and run the blocking checks.

    Journal lines are stored only when every blocking check passes, so that nothing downstream
    can post a partition whose checks failed."""
    frames = load_frames(warehouse, tenant.slug, period.key)
    lines, pays, closure = frames["sales_lines"], frames["payments"], frames["closure_totals"]
    checks: dict[str, CheckOutcome] = {}
    checks["vat_rates_known"] = check_vat_rates_known(tenant, lines, period.start)
    if not len(lines) and not len(pays):
        warehouse.replace_partition(tenant.slug, period.key, {"journal_lines": pd.DataFrame()})
        warehouse.set_day_status(tenant.slug, period.key, DayStatus.MAPPED, "no sales")
        checks["entry_balanced"] = CheckOutcome(True, "ERROR", "no sales: nothing to post", pd.DataFrame())
        checks["accounts_mapped"] = CheckOutcome(True, "WARN", "no sales: nothing to map", pd.DataFrame())
        return JournalOutcome(period, None, checks, empty=True)
    try:
        mapped = map_period(tenant, period.start, period.end, lines, pays,
                            closure if len(closure) else None)
    except SyncError as exc:
        exc.with_context(tenant=tenant.slug, day=period.key)
        cases = pd.DataFrame([{**{"record": exc.record, "field": exc.field_name}, **{
            k: str(v) for k, v in exc.details.items()}}])
        target = "accounts_mapped" if isinstance(exc, MappingError) else "entry_balanced"
        checks[target] = _failed(str(exc), cases)
        for name in CHECK_NAMES:
            checks.setdefault(name, _failed(f"not evaluated: mapping failed ({exc.error_class} error)"))
        warehouse.replace_partition(tenant.slug, period.key, {"journal_lines": pd.DataFrame()})
        return JournalOutcome(period, None, checks, error=exc)
    checks["entry_balanced"] = check_balanced(mapped.lines)
    checks["accounts_mapped"] = check_accounts_mapped(tenant, mapped)
    outcome = JournalOutcome(period, mapped, checks)
    labels = {e.entry_key: e.label for e in mapped.entries}
    stored = mapped.lines.assign(entry_label=mapped.lines["entry_key"].map(labels).fillna(mapped.entry_label))
    if outcome.blocking_failure is not None:
        stored = pd.DataFrame()
    warehouse.replace_partition(tenant.slug, period.key, {"journal_lines": stored})
    if outcome.blocking_failure is None:
        warehouse.set_day_status(tenant.slug, period.key, DayStatus.MAPPED, None)
    return outcome


def journal_table(lines: pd.DataFrame, limit: int = 200) -> str:
    """The entry as a markdown table (shown in the Dagster UI)."""
    view = lines.head(limit).assign(
        debit=lines["debit_cents"].map(cents_to_amount), credit=lines["credit_cents"].map(cents_to_amount)
    )[["entry_key", "account", "label", "debit", "credit"]]
    return view.to_markdown(index=False)


def journal_metadata(outcome: JournalOutcome) -> dict[str, Any]:
    if outcome.mapped is None:
        return {"lines": 0, "status": "no sales" if outcome.empty else "not mapped (see the checks)"}
    m = outcome.mapped
    return {
        "entries": len(m.entries),
        "lines": len(m.lines),
        "total_debit": cents_to_amount(m.total_debit_cents),
        "total_credit": cents_to_amount(m.total_credit_cents),
        "tips": cents_to_amount(m.tips_cents),
        "rounding": cents_to_amount(m.rounding_cents),
        "takings_by_method": {k: cents_to_amount(v) for k, v in m.totals_by_method.items()},
        "totals_by_vat_rate": {k: {f: cents_to_amount(c) for f, c in v.items()} for k, v in m.totals_by_rate.items()},
        "unmapped_payment_methods": ", ".join(m.unmapped_methods) or "none",
        "unmapped_categories": ", ".join(m.unmapped_categories) or "none",
        "warnings": "\n".join(m.warnings) or "none",
    }


# ---------------------------------------------------------------------------------------------
# 3. pennylane_entries
# ---------------------------------------------------------------------------------------------
def entry_date(period: SalesPeriod):
    """The accounting date of the period's entry: the day, or the month's last day."""
    return period.accounting_date


def drafts_for(tenant: TenantConfig, period: SalesPeriod, lines: pd.DataFrame) -> list[tuple[str, EntryDraft]]:
    """One Pennylane entry draft per entry key of the stored journal lines."""
    drafts = []
    for entry_key, group in lines.sort_values(["entry_key", "line_no"]).groupby("entry_key", sort=True):
        label = str(group["entry_label"].iloc[0])
        drafts.append((str(entry_key), EntryDraft(
            journal_code=tenant.pennylane.journal_code,
            journal_label=tenant.pennylane.journal_label,
            date=entry_date(period),
            label=label,
            piece_number=deterministic_piece_number(tenant.slug, str(entry_key)),
            currency=tenant.currency,
            lines=[EntryLine(account=str(r.account), label=str(r.label), debit_cents=int(r.debit_cents),
                             credit_cents=int(r.credit_cents)) for r in group.itertuples()],
        )))
    return drafts


@dataclass
class PostOutcome:
    period: SalesPeriod
    results: list[PostingResult] = field(default_factory=list)


def post_journal(tenant: TenantConfig, period: SalesPeriod, warehouse: Warehouse, client) -> PostOutcome:
    lines = warehouse.read_partition("journal_lines", tenant.slug, period.key)
    outcome = PostOutcome(period)
    if not len(lines):
        status = (warehouse.get_day_status(tenant.slug, period.key) or {}).get("status")
        if status in (None, DayStatus.WAITING, DayStatus.FAILED, DayStatus.COMPLETE):
            raise MappingError(
                f"no journal lines to post (day status: {status or 'never fetched'}): materialize "
                "daily_sales and journal_lines for this day first", tenant=tenant.slug, day=period.key)
        warehouse.set_day_status(tenant.slug, period.key, DayStatus.EMPTY, "no sales: nothing posted")
        return outcome
    drafts = drafts_for(tenant, period, lines)
    if len(drafts) > 1:
        # Several entries for the day (one per location): resolve the journal and every account
        # first, so that a mapping error stops the day before any of its entries is posted.
        client.journal_id(tenant.pennylane.journal_code, tenant.pennylane.journal_label)
        client.ledger_account_ids(sorted({ln.account for _, d in drafts for ln in d.lines}),
                                  create_missing=tenant.pennylane.create_missing_accounts)
    for entry_key, draft in drafts:
        outcome.results.append(post_entry_exactly_once(
            client, warehouse, tenant, period.key, entry_key, draft,
            create_missing_accounts=tenant.pennylane.create_missing_accounts,
        ))
    warehouse.set_day_status(tenant.slug, period.key, DayStatus.POSTED, None)
    return outcome


# ---------------------------------------------------------------------------------------------
# The three steps in one call (CLI, tests, benchmarks)
# ---------------------------------------------------------------------------------------------
@dataclass
class PeriodResult:
    tenant: str
    period: str
    status: PeriodOutcome
    message: str = ""
    error_class: ErrorClass | None = None
    pennylane_ids: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


def run_period(tenant: TenantConfig, period_key: str, *, warehouse: Warehouse, pennylane_client,
               source: SalesSource | None = None, now: datetime | None = None) -> PeriodResult:
    """Run one tenant-period end to end, without Dagster. Raises nothing for expected failures:
    the result says what happened (``status``/``error_class``/``message``)."""
    period = sales_period(tenant, period_key)
    own_source = source is None
    source = source or build_source(tenant, warehouse)
    try:
        sales = fetch_sales(tenant, period, source, warehouse, now=now)
        if sales.waiting:
            return PeriodResult(tenant.slug, period_key, PeriodOutcome.WAITING, sales.day.waiting_reason or "")
        journal = build_journal(tenant, period, warehouse)
        failure = journal.blocking_failure
        if failure is not None:
            raise failure
        posted = post_journal(tenant, period, warehouse, pennylane_client)
        if not posted.results:
            return PeriodResult(tenant.slug, period_key, PeriodOutcome.EMPTY, "no sales")
    except Exception as exc:
        warehouse.set_day_status(tenant.slug, period_key, DayStatus.FAILED, str(exc), error_class_of(exc))
        return PeriodResult(tenant.slug, period_key, PeriodOutcome.FAILED, str(exc), error_class_of(exc))
    finally:
        if own_source:
            source.close()
    actions = [r.action for r in posted.results]
    status = PeriodOutcome.POSTED if "created" in actions or "recovered" in actions else (
        PeriodOutcome.REPLACED if "replaced" in actions else PeriodOutcome.UNCHANGED)
    return PeriodResult(tenant.slug, period_key, status, "", None,
                        [r.pennylane_id for r in posted.results], actions)
