"""Every 30 minutes, one ``stock_sync_job`` run per stock-enabled, active, connected tenant.

The run's partition is the tenant's local today when the date dimension has it, else the latest
date partition (the lead's daily partitions end yesterday): the sync is tenant-wide anyway, and
the levels asset also refreshes today's running levels.
"""


from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.partitions import TENANT_DIMENSION, date_partitions, partition_key
from pipelines.stock.assets import stock_sync_job
from resources.stock.store import StockStore
from resources.tenants import TenantConfig, TenantRegistryResource
from resources.warehouse import WarehouseResource


def stock_partition_day(tenant: TenantConfig, when: datetime) -> str:
    today = when.astimezone(ZoneInfo(tenant.timezone)).date().isoformat()
    # Daily partitions exist up to (today in their time zone − 1 day + end_offset).
    tz = ZoneInfo(date_partitions.timezone or "UTC")
    last = (when.astimezone(tz).date() + timedelta(days=date_partitions.end_offset - 1)).isoformat()
    return today if today <= last else last


def stock_run_request(tenant: TenantConfig, when: datetime, trigger: str = "stock-schedule") -> dg.RunRequest:
    """The run request of one tenant's stock sync (the schedule; also "import now" from the UI/CLI)."""
    day = stock_partition_day(tenant, when)
    return dg.RunRequest(
        run_key=f"stock:{tenant.slug}:{when.astimezone(UTC):%Y%m%dT%H%M}" if trigger == "stock-schedule" else None,
        partition_key=partition_key(tenant.slug, day),
        tags={"pennylane-sync/tenant": tenant.slug, "pennylane-sync/trigger": trigger,
              "pennylane-sync/pipeline": "stock"},
    )


def stock_requests(tenants: dict[str, TenantConfig], when: datetime, known: set[str],
                   store: StockStore | None) -> list[dg.RunRequest]:
    out = []
    for tenant in tenants.values():
        if not (tenant.active and tenant.stock.enabled and tenant.slug in known):
            continue
        if store is not None and not store.is_connected(tenant.slug):
            continue
        out.append(stock_run_request(tenant, when))
    return out


@dg.schedule(job=stock_sync_job, cron_schedule="*/30 * * * *", execution_timezone="Europe/Paris",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every 30 minutes: stock sync of every stock-enabled, active, connected tenant.")
def stock_sync_schedule(context: dg.ScheduleEvaluationContext, tenants: TenantRegistryResource,
                        warehouse: WarehouseResource):
    known = set(context.instance.get_dynamic_partitions(TENANT_DIMENSION))
    when = context.scheduled_execution_time or datetime.now(UTC)
    requests = stock_requests(tenants.all(), when, known, StockStore(warehouse.get()))
    return requests or dg.SkipReason("no stock-enabled, active, connected tenant")
