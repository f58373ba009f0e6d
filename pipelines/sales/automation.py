"""Schedules and sensors of the sales pipeline.

- ``daily_sales_schedule``   06:00 Europe/Paris: yesterday for every active daily tenant (in the
                             tenant's own time zone); on the 1st, last month for monthly tenants.
- ``tenant_registry_sensor`` keeps the ``tenant`` dynamic partitions in step with ``tenants/``:
                             a new tenant gets its partition and one backfill from ``start_date``;
                             a disconnected tenant keeps its partition (history) and gets no runs.
- ``waiting_days_sensor``    re-runs days the source had not closed yet (hourly per day) until
                             they post, or fail past the tenant's deadline.
- ``toporder_inbox_sensor``  a closure file dropped in a Toporder tenant's inbox → a run for its
                             tenant-day (pre-activation and malformed files are refused there).
"""


from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import sqlalchemy as sa
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.events import AssetKeyPartitionKey

from core.periods import last_complete_period_key, period_keys
from core.statuses import DayStatus
from pipelines.partitions import TENANT_DIMENSION, partition_key
from pipelines.sales.assets import sales_assets, sales_job
from resources.sources.toporder.inbox import InboxNotice
from resources.sources.toporder.scan import scan_inbox
from resources.tenants import TenantConfig, TenantRegistryResource
from resources.warehouse import WarehouseResource, day_status

# One tick emits at most this many run requests; more wait for the next tick (DESIGN §11: a
# tick times out at 60 s and each run request costs ~20 ms of storage calls).
MAX_REQUESTS_PER_TICK = 500


def run_tags(tenant: TenantConfig, trigger: str) -> dict[str, str]:
    """Tags used by run-queue limits (deploy/dagster.yaml) and by the alert sensor."""
    return {
        "pennylane-sync/tenant": tenant.slug,
        "pennylane-sync/source": tenant.source.type,
        "pennylane-sync/trigger": trigger,
    }


def sales_run_request(tenant: TenantConfig, key: str, trigger: str, run_key: str | None = None) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key,
        partition_key=partition_key(tenant.slug, key),
        tags=run_tags(tenant, trigger),
    )


def scheduled_requests(tenants: dict[str, TenantConfig], when: datetime, known: set[str]) -> list[dg.RunRequest]:
    requests = []
    for tenant in tenants.values():
        if not tenant.active or tenant.slug not in known:
            continue
        today_local = when.astimezone(ZoneInfo(tenant.timezone)).date()
        key = last_complete_period_key(tenant, today_local)
        if key is not None:
            requests.append(sales_run_request(tenant, key, "schedule", run_key=f"sales:{tenant.slug}:{key}"))
    return requests


@dg.schedule(
    job=sales_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 06:00 Europe/Paris: the previous business day of every active daily "
    "tenant; on the 1st, the previous month of monthly tenants.",
)
def daily_sales_schedule(context: dg.ScheduleEvaluationContext, tenants: TenantRegistryResource):
    registry = tenants.all()
    known = set(context.instance.get_dynamic_partitions(TENANT_DIMENSION))
    missing = [s for s, t in registry.items() if t.active and s not in known]
    if missing:
        context.log.warning(f"tenants without a partition yet (the registry sensor adds them): {missing}")
    when = context.scheduled_execution_time or datetime.now(UTC)
    requests = scheduled_requests(registry, when, known)
    return requests or dg.SkipReason("no active tenant has a period to post today")


def backfill_request(asset_graph, tenant: TenantConfig, keys: list[str]) -> dg.RunRequest:
    """One backfill (shown as such in the UI) covering ``keys`` of one tenant for the sales assets."""
    subset = AssetGraphSubset.from_asset_partition_set(
        {AssetKeyPartitionKey(a.key, str(partition_key(tenant.slug, k))) for a in sales_assets for k in keys},
        asset_graph,
    )
    return dg.RunRequest.for_asset_graph_subset(subset, tags=run_tags(tenant, "registry-backfill"))


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(*sales_assets),  # required to request backfills
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition for each new tenant file and requests its backfill from start_date.",
)
def tenant_registry_sensor(context: dg.SensorEvaluationContext, tenants: TenantRegistryResource):
    registry = tenants.all()
    known = set(context.instance.get_dynamic_partitions(TENANT_DIMENSION))
    new = sorted(s for s, t in registry.items() if s not in known and t.active)
    if not new:
        return dg.SkipReason(f"{len(registry)} tenants, all known")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    requests = []
    for slug in new:
        keys = period_keys(registry[slug], registry[slug].start_date, yesterday)
        if keys:
            requests.append(backfill_request(context.repository_def.asset_graph, registry[slug], keys))
            context.log.info(f"tenant {slug}: partition added, backfill of {len(keys)} periods from {keys[0]}")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(TENANT_DIMENSION, new)],
    )


def waiting_requests(rows, registry: dict[str, TenantConfig], now: datetime) -> list[dg.RunRequest]:
    requests = []
    bucket = now.strftime("%Y%m%d%H")
    for row in rows:
        tenant = registry.get(row["tenant"])
        if tenant is None or not tenant.active:
            continue
        requests.append(sales_run_request(
            tenant, row["period"], "waiting-recheck", run_key=f"waiting:{tenant.slug}:{row['period']}:{bucket}"
        ))
        if len(requests) >= MAX_REQUESTS_PER_TICK:
            break
    return requests


@dg.sensor(
    job=sales_job,
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Looks again, hourly, at days whose source had not closed them yet.",
)
def waiting_days_sensor(context: dg.SensorEvaluationContext, tenants: TenantRegistryResource,
                        warehouse: WarehouseResource):
    wh = warehouse.get()
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(day_status.c.tenant, day_status.c.period).where(
            day_status.c.status == DayStatus.WAITING.value)).mappings().all()
    if not rows:
        return dg.SkipReason("no waiting day")
    return waiting_requests(rows, tenants.all(), datetime.now(UTC)) or dg.SkipReason("no active waiting day")


@dg.sensor(
    job=sales_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Toporder pushes daily closure files to each activated tenant's inbox; each new "
    "file starts a run for its tenant-day.",
)
def toporder_inbox_sensor(context: dg.SensorEvaluationContext, tenants: TenantRegistryResource,
                          warehouse: WarehouseResource):
    registry = {s: t for s, t in tenants.all().items() if t.source.type == "toporder" and t.active}
    if not registry:
        return dg.SkipReason("no active Toporder tenant")
    notices: list[InboxNotice] = []
    files = scan_inbox(warehouse.get(), registry, notices=notices)
    for notice in notices:  # refused files (pre-activation, malformed, inconsistent), unknown inboxes
        context.log.warning(f"{notice.kind}: {notice.path.name}: {notice.message}")
    known = set(context.instance.get_dynamic_partitions(TENANT_DIMENSION))
    requests = []
    for f in files[:MAX_REQUESTS_PER_TICK]:
        stamp = int(f.path.stat().st_mtime) if f.path.exists() else 0
        requests.append(sales_run_request(
            registry[f.tenant], str(f.day), "toporder-inbox", run_key=f"toporder:{f.tenant}:{f.path.name}:{stamp}"
        ))
    new = sorted({f.tenant for f in files} - known)
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(TENANT_DIMENSION, new)] if new else [],
    )
