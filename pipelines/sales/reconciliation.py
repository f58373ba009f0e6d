"""``sales_reconciliation``: each tenant's month, what we posted against what Pennylane holds.

Partitioned by tenant × calendar month. Reads the journal lines of the entries the posting log
records as posted (warehouse) and the tenant's sales journal in Pennylane for the month (two
cursor-paginated lists, see :mod:`resources.books`), and compares them per day and account. The
``books_match`` check (ERROR) fails on any difference and lists them: day, account, what we
posted, what Pennylane holds, and the entries involved. The monthly schedule runs it on the 2nd
for the month before; any month can be (re)run from the UI.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from core.accounting.reconciliation import reconcile, signed, totals_by_account
from core.periods import first_of_next_month
from pipelines.partitions import PARTITIONS_START, SCHEDULE_TIMEZONE, TENANT_DIMENSION, tenant_partitions
from pipelines.sales.assets import GROUP, TRANSIENT_RETRY
from resources.books import booked_lines, expected_lines
from resources.pennylane import PennylaneResource
from resources.tenants import TenantRegistryResource
from resources.warehouse import WarehouseResource

MONTH_DIMENSION = "month"
MAX_LISTED = 50  # differences written out in the check text; all of them are in the metadata table

month_partitions = dg.MonthlyPartitionsDefinition(
    start_date=date.fromisoformat(PARTITIONS_START).replace(day=1).isoformat(), timezone=SCHEDULE_TIMEZONE,
    end_offset=0,
)
tenant_month_partitions = dg.MultiPartitionsDefinition(
    {MONTH_DIMENSION: month_partitions, TENANT_DIMENSION: tenant_partitions}
)


def month_key(tenant: str, month: date | str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({TENANT_DIMENSION: tenant, MONTH_DIMENSION: str(month)})


def _table(rows: list[dict], columns: list[str]) -> dg.MarkdownMetadataValue:
    return dg.MetadataValue.md(pd.DataFrame(rows, columns=columns).to_markdown(index=False) if rows else "none")


@dg.asset(
    partitions_def=tenant_month_partitions,
    group_name=GROUP,
    retry_policy=TRANSIENT_RETRY,
    kinds={"pennylane", "pandas"},
    check_specs=[dg.AssetCheckSpec(
        "books_match", asset="sales_reconciliation",
        description="Every day and account of the month in Pennylane's sales journal equals what this "
        "system posted (journal lines of its posted entries, rounding lines included).")],
    description="A tenant's month: the journal lines we posted against what the tenant's Pennylane "
    "sales journal holds, per day and account. Catches entries edited or deleted by hand, entries "
    "keyed in by hand or by another tool in our journal, and bugs of ours.",
)
def sales_reconciliation(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                         tenants: TenantRegistryResource, pennylane: PennylaneResource):
    keys = context.partition_key.keys_by_dimension
    tenant = tenants.get(keys[TENANT_DIMENSION])
    start = date.fromisoformat(keys[MONTH_DIMENSION])
    end = first_of_next_month(start) - timedelta(days=1)
    ours = expected_lines(warehouse.get(), tenant, start, end)
    booked = booked_lines(pennylane.client_for(tenant), tenant, start, end)
    diffs = reconcile(ours, booked)
    expected_totals, booked_totals = totals_by_account(ours), totals_by_account(booked)
    accounts = sorted(set(expected_totals) | set(booked_totals))
    where = f"tenant {tenant.slug}, {start:%m/%Y}"
    if diffs:
        listed = "\n".join(f"- {d.describe()}" for d in diffs[:MAX_LISTED])
        more = f"\n… and {len(diffs) - MAX_LISTED} more (see the differences table)" if len(diffs) > MAX_LISTED else ""
        text = f"{where}: {len(diffs)} difference(s) between what we posted and Pennylane\n{listed}{more}"
    else:
        text = f"{where}: Pennylane's journal {tenant.pennylane.journal_code} equals what we posted " \
               f"({len(ours)} lines)"
    yield dg.MaterializeResult(
        metadata={
            "tenant": tenant.slug,
            "month": start.strftime("%Y-%m"),
            "lines_posted": len(ours),
            "lines_in_pennylane": len(booked),
            "differences": len(diffs),
            "by_account": _table([{"account": a, "posted": signed(expected_totals.get(a, 0)),
                                   "in Pennylane": signed(booked_totals.get(a, 0))} for a in accounts],
                                 ["account", "posted", "in Pennylane"]),
            "difference_lines": _table([{"day": d.day.isoformat(), "account": d.account,
                                         "posted": signed(d.expected_cents), "in Pennylane": signed(d.booked_cents),
                                         "difference": signed(d.difference_cents), "entries": ", ".join(d.entries)}
                                        for d in diffs],
                                       ["day", "account", "posted", "in Pennylane", "difference", "entries"]),
        },
        check_results=[dg.AssetCheckResult(
            check_name="books_match", passed=not diffs, severity=dg.AssetCheckSeverity.ERROR, description=text,
            metadata={"differences": len(diffs)})],
    )


reconciliation_job = dg.define_asset_job(
    "sales_reconciliation_job", selection=[sales_reconciliation],
    description="Reconcile tenant-months: what we posted against Pennylane's sales journal.",
)


@dg.schedule(
    job=reconciliation_job,
    cron_schedule="0 7 2 * *",
    execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On the 2nd at 07:00 Europe/Paris: last month's reconciliation for every active tenant.",
)
def monthly_reconciliation_schedule(context: dg.ScheduleEvaluationContext, tenants: TenantRegistryResource):
    when = (context.scheduled_execution_time or datetime.now(UTC)).astimezone(ZoneInfo(SCHEDULE_TIMEZONE))
    month = (when.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    known = set(context.instance.get_dynamic_partitions(TENANT_DIMENSION))
    requests = [
        dg.RunRequest(run_key=f"reconciliation:{slug}:{month:%Y-%m}", partition_key=month_key(slug, month),
                      tags={"pennylane-sync/tenant": slug, "pennylane-sync/source": cfg.source.type,
                            "pennylane-sync/trigger": "schedule"})
        for slug, cfg in tenants.all().items()
        if cfg.active and slug in known and cfg.start_date <= first_of_next_month(month) - timedelta(days=1)
    ]
    return requests or dg.SkipReason(f"no active tenant to reconcile for {month:%m/%Y}")
