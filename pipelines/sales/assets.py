"""Sales assets, partitioned by tenant × business day: daily_sales → journal_lines → pennylane_entries.

Assets are thin: they resolve the tenant and period of each partition key, call
:mod:`pipelines.sales.steps`, and report metadata. Data lives in the warehouse (not in an IO
manager), so outputs are ``Nothing``.

One run, one day (the schedule, the sensors, "materialize" on one partition):
- a period the source has not closed yet is *waiting*: ``daily_sales`` emits no output, so the
  downstream assets are skipped (no entry, no alert); the waiting sensor looks again;
- an error is raised as a ``dagster.Failure`` whose metadata carries the error class
  (source / mapping / transient / bug) for the alert sensor; only transient errors are retried;
- ``journal_lines`` reports its blocking checks and, on an ERROR, raises: nothing is posted.

One run, a range of days (backfills: ``BackfillPolicy.single_run()``, DESIGN.md §3 — a year of
one tenant in one run instead of 365): each day is processed on its own and its outcome kept in
the warehouse's ``day_status``. A failed or waiting day is not carried further, the others are;
``pennylane_entries`` records a materialization for each day it posted and, if any day of the
range failed, fails the run with a ``failed_days`` map, from which the alert sensor sends one
alert per failed day. In a ranged run the checks are reported once for the range (failing days
listed) and gate posting day by day in the code rather than through Dagster's blocking.
"""

import contextlib
import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from core.errors import ErrorClass, SourceDataError, SyncError, error_class_of
from core.frames import ClosureTotals, JournalLines, Payments, SalesLines
from core.periods import NotAPeriodStart, SalesPeriod, sales_period
from core.statuses import DayStatus, StepStatus
from pipelines.partitions import split_key, tenant_day_partitions
from pipelines.sales import steps
from pipelines.sales.column_schemas import dataset_schemas
from resources.pennylane import PennylaneResource
from resources.sources.registry import build_source
from resources.sources.toporder.reports import report_source_error
from resources.tenants import TenantConfig, TenantRegistryResource
from resources.warehouse import Warehouse, WarehouseResource

GROUP = "sales"
# Single-run backfills are deliberate (DESIGN.md §3): Dagster's "beta parameter" notice, printed
# at every import (CLI commands, code server), tells our users nothing.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
SINGLE_RUN_BACKFILLS = dg.BackfillPolicy.single_run()
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=3, delay=20, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
CHECK_DESCRIPTIONS = {
    "entry_balanced": "Debits equal credits in cents (residual within tolerance booked to 658/758).",
    "vat_rates_known": "Every VAT rate exists for its country on the business day (dated VAT tables).",
    "accounts_mapped": "Every payment method and category has an account (WARN lists the unmapped; "
    "ERROR in strict mode).",
}
JOURNAL_CHECKS = [
    dg.AssetCheckSpec(name, asset="journal_lines", blocking=True, description=desc)
    for name, desc in CHECK_DESCRIPTIONS.items()
]


@dataclass
class Day:
    """One partition key of the run and what became of it in this step."""

    key: str
    tenant: TenantConfig | None = None
    period: SalesPeriod | None = None
    status: StepStatus = StepStatus.SKIPPED
    metadata: dict = field(default_factory=dict)
    failure: dg.Failure | None = None
    journal: steps.JournalOutcome | None = None


def resolve(context: dg.AssetExecutionContext, key: str, tenants: TenantRegistryResource) -> Day:
    """Tenant and period of a partition key; ``skipped`` when it is not one to process
    (a monthly tenant's day that is not a month start, a disconnected tenant)."""
    slug, day = split_key(key)
    tenant = tenants.get(slug)
    if not tenant.active:
        context.log.warning(f"tenant {slug} is disconnected: {day} not processed (history is kept)")
        return Day(key, tenant)
    try:
        return Day(key, tenant, sales_period(tenant, day), status=StepStatus.TODO)
    except NotAPeriodStart as exc:
        context.log.debug(str(exc))
        return Day(key, tenant)


def failure_for(exc: BaseException, tenant: str, day: str) -> dg.Failure:
    """Any exception → a ``Failure`` carrying tenant, day and error class, which the step retry
    policy retries only when the class is *transient*."""
    if isinstance(exc, dg.Failure):
        return exc
    if isinstance(exc, SyncError):
        exc.with_context(tenant=tenant, day=day)
    error_class = error_class_of(exc)
    message = str(exc) if isinstance(exc, SyncError) else f"[{error_class}] {type(exc).__name__}: {exc}"
    return dg.Failure(
        description=message,
        metadata={"error_class": error_class.value, "tenant": tenant, "day": day,
                  "exception": type(exc).__name__},
        allow_retries=error_class == ErrorClass.TRANSIENT,
    )


def retry_only_transient(step):
    """A step's body whose escaping exceptions (outside :func:`classified`: opening the
    warehouse, reading the days' statuses, recording a failure) become a classified ``Failure``:
    the retry policy retries a transient one (a warehouse outage) and never a bug."""

    @functools.wraps(step)
    def body(context: dg.AssetExecutionContext, *args, **kwargs):
        try:
            yield from step(context, *args, **kwargs)
        except Exception as exc:
            keys = context.partition_keys
            tenant, day = split_key(keys[0]) if len(keys) == 1 else ("", f"{keys[0]}..{keys[-1]}")
            raise failure_for(exc, tenant, day) from exc

    return body


@contextlib.contextmanager
def classified(day: Day, wh: Warehouse) -> Iterator[None]:
    """Run one day's step; on error record the day as failed (with its class) and set
    ``day.failure``. Source errors of a Toporder tenant are reported back to the till."""
    try:
        yield
    except Exception as exc:
        failure = failure_for(exc, day.tenant.slug, day.period.key)
        error_class = ErrorClass.of(failure.metadata["error_class"].value if "error_class" in failure.metadata else None)
        wh.set_day_status(day.tenant.slug, day.period.key, DayStatus.FAILED, failure.description, error_class)
        if isinstance(exc, SourceDataError) and day.tenant.source.type == "toporder":
            report_source_error(wh, day.tenant, day.period.key, exc)
        day.status, day.failure = StepStatus.FAILED, failure


def days_of(context: dg.AssetExecutionContext, tenants: TenantRegistryResource, wh: Warehouse,
            ready: tuple[DayStatus, ...] | None) -> list[Day]:
    """The run's days. In a ranged run, only days whose status is in ``ready`` go on (the
    upstream step of this run left the others waiting or failed)."""
    days = [resolve(context, k, tenants) for k in context.partition_keys]
    if ready is not None and len(days) > 1:
        for d in days:
            if d.status == StepStatus.TODO:
                status = (wh.get_day_status(d.tenant.slug, d.period.key) or {}).get("status")
                if status not in ready:
                    d.status = StepStatus.SKIPPED
    return days


def one_day_output(d: Day) -> Iterator[dg.Output]:
    """A one-day run: the day's failure, or its output (none while waiting or skipped, so that
    the downstream assets are skipped too)."""
    if d.failure is not None:
        raise d.failure
    if d.status == StepStatus.DONE:
        yield dg.Output(None, metadata=d.metadata)


def range_summary(days: list[Day]) -> dict:
    by_status: dict[str, list[str]] = {}
    for d in days:
        by_status.setdefault(d.status, []).append(split_key(d.key)[1])
    meta: dict = {"days": len(days)}
    for status, keys in sorted(by_status.items()):
        meta[f"days_{status}"] = len(keys)
        if status in (StepStatus.FAILED, StepStatus.WAITING):
            meta[f"{status}_days"] = ", ".join(keys)
    return meta


@dg.asset(
    partitions_def=tenant_day_partitions,
    backfill_policy=SINGLE_RUN_BACKFILLS,
    group_name=GROUP,
    output_required=False,
    dagster_type=dg.Nothing,
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "sql"},
    metadata=dataset_schemas(SalesLines, Payments, ClosureTotals),
    description="One business day (or month) of a tenant's sales from its source, as canonical "
    "sales lines, payments and closure totals (pandera-validated). Emits nothing while the source "
    "has not closed the day (the day is waiting, not failed).",
)
@retry_only_transient
def daily_sales(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                tenants: TenantRegistryResource):
    wh = warehouse.get()
    days = days_of(context, tenants, wh, ready=None)
    for d in days:
        if d.status != StepStatus.TODO:
            continue
        with classified(d, wh):
            source = build_source(d.tenant, wh)
            try:
                outcome = steps.fetch_sales(d.tenant, d.period, source, wh)
            finally:
                source.close()
            if outcome.waiting:
                context.log.info(f"{d.tenant.slug} {d.period.key} is waiting: {outcome.day.waiting_reason}")
                d.status = StepStatus.WAITING
            else:
                d.status = StepStatus.DONE
                d.metadata = {**steps.sales_metadata(outcome), "source": d.tenant.source.type}
    if len(days) == 1:
        yield from one_day_output(days[0])
        return
    yield dg.Output(None, metadata=range_summary(days))


def _check_result(name: str, checks: list[tuple[str, "steps.CheckOutcome"]], ranged: bool) -> dg.AssetCheckResult:
    """One check's result for the run: one day's outcome, or the range's (failing days listed)."""
    failing = [(day, c) for day, c in checks if not c.passed]
    cases = [c.failure_cases.assign(day=day) for day, c in failing if len(c.failure_cases)]
    frame = pd.concat(cases, ignore_index=True) if cases else pd.DataFrame()
    meta: dict = {"failures": len(frame)}
    if len(frame):
        cols = ["day", *[c for c in frame.columns if c != "day"]] if ranged else [c for c in frame.columns if c != "day"]
        meta["failure_cases"] = dg.MetadataValue.md(frame[cols].head(50).to_markdown(index=False))
    if not ranged:
        [(_, check)] = checks
        severity = check.severity
        description = check.description
    else:
        # Ranged runs gate posting day by day in the code; an ERROR here would block the range.
        severity = "WARN" if failing else "ERROR"
        description = (f"{len(failing)} of {len(checks)} day(s) failed ({', '.join(d for d, _ in failing)}): "
                       "not posted" if failing else f"passed for all {len(checks)} day(s)")
    return dg.AssetCheckResult(
        check_name=name, passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=description, metadata=meta,
    )


@dg.asset(
    partitions_def=tenant_day_partitions,
    backfill_policy=SINGLE_RUN_BACKFILLS,
    group_name=GROUP,
    deps=[daily_sales],
    check_specs=JOURNAL_CHECKS,
    output_required=False,
    dagster_type=dg.Nothing,
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "sql"},
    metadata=dataset_schemas(JournalLines),
    description="The period's sales-journal entry (one per tenant-day, or per location), mapped "
    "with the tenant's accounting mapping. Blocking checks: balanced, VAT rates known, accounts mapped.",
)
@retry_only_transient
def journal_lines(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  tenants: TenantRegistryResource):
    wh = warehouse.get()
    days = days_of(context, tenants, wh, ready=(DayStatus.COMPLETE, DayStatus.EMPTY))
    for d in days:
        if d.status != StepStatus.TODO:
            continue
        with classified(d, wh):
            d.journal = steps.build_journal(d.tenant, d.period, wh)
            d.metadata = steps.journal_metadata(d.journal)
            if d.journal.mapped is not None:
                d.metadata["journal"] = dg.MetadataValue.md(steps.journal_table(d.journal.mapped.lines))
            d.status = StepStatus.DONE
            failure = d.journal.blocking_failure
            if failure is not None:
                raise failure
    evaluated = [d for d in days if d.journal is not None]
    ranged = len(days) > 1
    if not ranged and not evaluated:  # a skipped day, or a failure before any check ran
        if days[0].failure is not None:
            raise days[0].failure
        return
    yield dg.Output(None, metadata=days[0].metadata if not ranged else range_summary(days))
    for name in CHECK_DESCRIPTIONS:
        yield _check_result(name, [(split_key(d.key)[1], d.journal.checks[name]) for d in evaluated], ranged)
    if not ranged and days[0].failure is not None:
        raise days[0].failure


@dg.asset(
    partitions_def=tenant_day_partitions,
    backfill_policy=SINGLE_RUN_BACKFILLS,
    group_name=GROUP,
    deps=[journal_lines],
    output_required=False,
    dagster_type=dg.Nothing,
    retry_policy=TRANSIENT_RETRY,
    kinds={"python"},
    description="The period's entry posted to the tenant's Pennylane company, exactly once "
    "(intent logged before the POST; a changed day replaces its entry, never doubles it).",
)
@retry_only_transient
def pennylane_entries(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      tenants: TenantRegistryResource, pennylane: PennylaneResource):
    wh = warehouse.get()
    days = days_of(context, tenants, wh, ready=(DayStatus.MAPPED,))
    for d in days:
        if d.status != StepStatus.TODO:
            continue
        with classified(d, wh):
            client = pennylane.client_for(d.tenant, wh)
            outcome = steps.post_journal(d.tenant, d.period, wh, client)
            d.status, d.metadata = StepStatus.DONE, posting_metadata(outcome)
    if len(days) == 1:
        yield from one_day_output(days[0])
        return
    for d in days:
        if d.status == StepStatus.DONE:
            yield dg.AssetMaterialization(asset_key=context.asset_key, partition=d.key, metadata=d.metadata)
    failed = {}
    for d in days:
        if d.period is None:
            continue
        status = wh.get_day_status(d.tenant.slug, d.period.key) or {}
        if status.get("status") == DayStatus.FAILED:  # failed at any step of this run
            failed[d.key] = {"error_class": ErrorClass.of(status.get("error_class")).value,
                             "message": status.get("reason") or ""}
    if failed:
        classes = sorted({f["error_class"] for f in failed.values()})
        raise dg.Failure(
            description=f"{len(failed)} of {len(days)} day(s) failed: "
            + "; ".join(f"{k}: {v['message']}" for k, v in list(failed.items())[:5]),
            metadata={"error_class": classes[0] if len(classes) == 1 else "mixed",
                      "failed_days": dg.MetadataValue.json(failed)},
            allow_retries=False,
        )


def posting_metadata(outcome: steps.PostOutcome) -> dict:
    if not outcome.results:
        return {"status": "no sales: nothing posted"}
    meta: dict = {"entries": len(outcome.results)}
    for i, res in enumerate(outcome.results):
        suffix = "" if len(outcome.results) == 1 else f"_{i + 1}"
        meta[f"pennylane_entry_id{suffix}"] = res.pennylane_id
        meta[f"action{suffix}"] = res.action
        if res.url:
            meta[f"link{suffix}"] = dg.MetadataValue.url(res.url)
    return meta


sales_assets = [daily_sales, journal_lines, pennylane_entries]
sales_job = dg.define_asset_job(
    "sales_job",
    selection=dg.AssetSelection.assets(*sales_assets),
    description="Pull one tenant-day of sales, map it, check it, post it to Pennylane.",
    tags={"dagster/max_retries": 2, "dagster/retry_on_asset_or_op_failure": False},
)

