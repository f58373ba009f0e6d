"""Sales assets, partitioned by tenant × business day: daily_sales → journal_lines → pennylane_entries.

Assets are thin: they resolve the tenant and period, call :mod:`pipelines.sales.core`, and report
metadata. Data lives in the warehouse (not in an IO manager), so outputs are ``Nothing``.

Failure semantics:
- a period the source has not closed yet is *waiting*: ``daily_sales`` emits no output, so the
  downstream assets are skipped in that run (no entry, no alert); the waiting sensor looks again;
- an error is raised as a ``dagster.Failure`` whose metadata carries the error class
  (source / mapping / transient / bug) for the alert sensor; only transient errors are retried;
- ``journal_lines`` reports its blocking checks, and on an ERROR raises, so nothing is posted.
"""


import contextlib
from collections.abc import Iterator

import dagster as dg

from pipelines.partitions import NotAPeriodStart, sales_period, split_key, tenant_day_partitions
from pipelines.sales import core
from resources.errors import SourceDataError, SyncError, error_class_of
from resources.pennylane import PennylaneResource
from resources.sources import build_source
from resources.sources.base import SalesPeriod
from resources.tenants import TenantConfig, TenantRegistryResource
from resources.warehouse import WarehouseResource

GROUP = "sales"
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


def resolve(context: dg.AssetExecutionContext, tenants: TenantRegistryResource) -> tuple[TenantConfig, SalesPeriod] | None:
    """Tenant and period of this run; ``None`` when the partition is not one to process
    (a monthly tenant's day that is not a month start, a disconnected tenant)."""
    slug, key = split_key(context.partition_key)
    tenant = tenants.get(slug)
    if not tenant.active:
        context.log.warning(f"tenant {slug} is disconnected: {key} not processed (history is kept)")
        return None
    try:
        return tenant, sales_period(tenant, key)
    except NotAPeriodStart as exc:
        context.log.info(str(exc))
        return None


@contextlib.contextmanager
def classified(tenant: TenantConfig, period: SalesPeriod, warehouse=None) -> Iterator[None]:
    """Turn any exception into a ``Failure`` carrying tenant, day and error class."""
    try:
        yield
    except dg.Failure:
        raise
    except Exception as exc:
        if isinstance(exc, SyncError):
            exc.with_context(tenant=tenant.slug, day=period.key)
        error_class = error_class_of(exc)
        if warehouse is not None and isinstance(exc, SourceDataError) and tenant.source.type == "toporder":
            from resources.sources.toporder import report_source_error

            report_source_error(warehouse, tenant, period.key, exc)
        raise dg.Failure(
            description=str(exc) if isinstance(exc, SyncError) else f"[{error_class}] {type(exc).__name__}: {exc}",
            metadata={"error_class": error_class, "tenant": tenant.slug, "day": period.key,
                      "exception": type(exc).__name__},
            allow_retries=error_class == "transient",
        ) from exc


@dg.asset(
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    output_required=False,
    dagster_type=dg.Nothing,
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "sql"},
    description="One business day (or month) of a tenant's sales from its source, as canonical "
    "sales lines, payments and closure totals (pandera-validated). Emits nothing while the source "
    "has not closed the day (the day is waiting, not failed).",
)
def daily_sales(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                tenants: TenantRegistryResource):
    resolved = resolve(context, tenants)
    if resolved is None:
        return
    tenant, period = resolved
    wh = warehouse.get()
    with classified(tenant, period, wh):
        source = build_source(tenant, wh)
        try:
            outcome = core.fetch_sales(tenant, period, source, wh)
        finally:
            source.close()
    if outcome.waiting:
        context.log.info(f"{tenant.slug} {period.key} is waiting: {outcome.day.waiting_reason}")
        return
    yield dg.Output(None, metadata={**core.sales_metadata(outcome), "source": tenant.source.type})


@dg.asset(
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    deps=[daily_sales],
    check_specs=JOURNAL_CHECKS,
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "sql"},
    description="The period's sales-journal entry (one per tenant-day, or per location), mapped "
    "with the tenant's accounting mapping. Blocking checks: balanced, VAT rates known, accounts mapped.",
)
def journal_lines(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  tenants: TenantRegistryResource):
    resolved = resolve(context, tenants)
    if resolved is None:
        return
    tenant, period = resolved
    wh = warehouse.get()
    with classified(tenant, period, wh):
        outcome = core.build_journal(tenant, period, wh)
    meta = core.journal_metadata(outcome)
    if outcome.mapped is not None:
        meta["journal"] = dg.MetadataValue.md(core.journal_table(outcome.mapped.lines))
    yield dg.Output(None, metadata=meta)
    for name in CHECK_DESCRIPTIONS:
        check = outcome.checks[name]
        meta = {"failures": len(check.failure_cases)}
        if len(check.failure_cases):
            meta["failure_cases"] = dg.MetadataValue.md(check.failure_cases.head(50).to_markdown(index=False))
        yield dg.AssetCheckResult(
            check_name=name, passed=bool(check.passed),
            severity=dg.AssetCheckSeverity.ERROR if check.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
            description=check.description, metadata=meta,
        )
    with classified(tenant, period, wh):
        failure = outcome.blocking_failure
        if failure is not None:
            raise failure


@dg.asset(
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    deps=[journal_lines],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python"},
    description="The period's entry posted to the tenant's Pennylane company, exactly once "
    "(intent logged before the POST; a changed day replaces its entry, never doubles it).",
)
def pennylane_entries(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      tenants: TenantRegistryResource, pennylane: PennylaneResource):
    resolved = resolve(context, tenants)
    if resolved is None:
        return dg.MaterializeResult(metadata={"status": "not processed"})
    tenant, period = resolved
    wh = warehouse.get()
    with classified(tenant, period, wh):
        client = pennylane.client_for(tenant)
        try:
            outcome = core.post_journal(tenant, period, wh, client)
        finally:
            client.close()
    if not outcome.results:
        return dg.MaterializeResult(metadata={"status": "no sales: nothing posted"})
    meta: dict = {"entries": len(outcome.results)}
    for i, res in enumerate(outcome.results):
        suffix = "" if len(outcome.results) == 1 else f"_{i + 1}"
        meta[f"pennylane_entry_id{suffix}"] = res.pennylane_id
        meta[f"action{suffix}"] = res.action
        if res.url:
            meta[f"link{suffix}"] = dg.MetadataValue.url(res.url)
    return dg.MaterializeResult(metadata=meta)


sales_assets = [daily_sales, journal_lines, pennylane_entries]
sales_job = dg.define_asset_job(
    "sales_job",
    selection=dg.AssetSelection.assets(*sales_assets),
    description="Pull one tenant-day of sales, map it, check it, post it to Pennylane.",
    tags={"dagster/max_retries": 2, "dagster/retry_on_asset_or_op_failure": False},
)
