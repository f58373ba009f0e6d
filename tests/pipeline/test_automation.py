"""Schedule and sensors: which runs they request, for which tenant-days."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.definitions import defs
from pipelines.partitions import TENANT_DIMENSION
from pipelines.sales.automation import daily_sales_schedule, tenant_registry_sensor, waiting_days_sensor
from resources.tenants import TenantRegistryResource
from resources.warehouse import WarehouseResource

PARIS = ZoneInfo("Europe/Paris")


def _keys(requests) -> list[tuple[str, str]]:
    out = []
    for r in requests:
        dims = r.partition_key.keys_by_dimension
        out.append((dims["tenant"], dims["date"]))
    return sorted(out)


def test_schedule_requests_yesterday_for_daily_and_last_month_on_the_first(instance, write_tenant, registry_dir):
    write_tenant("acme-daily", start_date="2026-01-01")
    write_tenant("shop-monthly", start_date="2026-01-01", frequency="monthly")
    write_tenant("gone", start_date="2026-01-01", status="disconnected")
    write_tenant("too-new", start_date="2026-12-01")
    instance.add_dynamic_partitions(TENANT_DIMENSION, ["acme-daily", "shop-monthly", "gone", "too-new"])
    tenants = TenantRegistryResource(directory=str(registry_dir))

    # A schedule context opens its own instance from the ref: `with` closes it (left open, it
    # stays the thread's current defs-state storage after being garbage-collected, and a later
    # materialize in the process fails with "undefined DagsterInstance weakref").
    with dg.build_schedule_context(instance=instance, resources={"tenants": tenants},
                                   scheduled_execution_time=datetime(2026, 11, 22, 6, 0, tzinfo=PARIS)) as ctx:
        requests = list(daily_sales_schedule(ctx))
    assert _keys(requests) == [("acme-daily", "2026-11-21")]
    assert requests[0].run_key == "sales:acme-daily:2026-11-21"
    assert requests[0].tags["pennylane-sync/source"] == "chift"

    with dg.build_schedule_context(instance=instance, resources={"tenants": tenants},
                                   scheduled_execution_time=datetime(2026, 12, 1, 6, 0, tzinfo=PARIS)) as ctx:
        requests = list(daily_sales_schedule(ctx))
    assert _keys(requests) == [("acme-daily", "2026-11-30"), ("shop-monthly", "2026-11-01")]


def test_schedule_is_0600_paris_and_targets_the_sales_job():
    assert daily_sales_schedule.cron_schedule == "0 6 * * *"
    assert daily_sales_schedule.execution_timezone == "Europe/Paris"
    assert daily_sales_schedule.job_name == "sales_job"


def test_registry_sensor_adds_new_tenants_and_requests_their_backfill(instance, write_tenant, registry_dir):
    write_tenant("known", start_date="2026-11-01")
    write_tenant("newcomer", start_date="2026-11-18")
    write_tenant("off", start_date="2026-11-01", status="disconnected")
    instance.add_dynamic_partitions(TENANT_DIMENSION, ["known"])
    ctx = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def(),
                                  resources={"tenants": TenantRegistryResource(directory=str(registry_dir))})
    # Evaluated as the daemon does (it validates what a sensor may request), then inspected.
    tick = tenant_registry_sensor.evaluate_tick(ctx)
    assert tick.run_requests and not getattr(tick, "error", None)
    result = tenant_registry_sensor(ctx)
    assert [r.partition_keys for r in result.dynamic_partitions_requests] == [["newcomer"]]
    assert len(result.run_requests) == 1
    backfill = result.run_requests[0]
    assert backfill.requires_backfill_daemon()
    subset = backfill.asset_graph_subset
    keys = {str(pk) for ak in subset.asset_keys for pk in subset.get_partitions_subset(ak).get_partition_keys()}
    today = datetime.now(PARIS).date()
    from datetime import timedelta

    expected_days = (today - timedelta(days=1) - datetime(2026, 11, 18).date()).days + 1
    assert len(keys) == expected_days
    assert min(keys) == "2026-11-18|newcomer"
    assert {a.to_user_string() for a in subset.asset_keys} == {"daily_sales", "journal_lines", "pennylane_entries"}
    assert backfill.tags["pennylane-sync/trigger"] == "registry-backfill"

    instance.add_dynamic_partitions(TENANT_DIMENSION, ["newcomer"])
    again = tenant_registry_sensor(ctx)
    assert isinstance(again, dg.SkipReason)
    assert set(instance.get_dynamic_partitions(TENANT_DIMENSION)) == {"known", "newcomer"}  # "off": no runs


def test_waiting_sensor_rechecks_waiting_days_of_active_tenants(instance, write_tenant, registry_dir, warehouse):
    write_tenant("acme", start_date="2026-11-01")
    write_tenant("paused", start_date="2026-11-01", status="disconnected")
    warehouse.set_day_status("acme", "2026-11-20", "waiting", "closure still open")
    warehouse.set_day_status("acme", "2026-11-19", "posted")
    warehouse.set_day_status("paused", "2026-11-20", "waiting", "closure still open")
    ctx = dg.build_sensor_context(instance=instance, resources={
        "tenants": TenantRegistryResource(directory=str(registry_dir)),
        "warehouse": WarehouseResource(url=warehouse.url)})
    requests = waiting_days_sensor(ctx)
    assert _keys(requests) == [("acme", "2026-11-20")]
    assert requests[0].run_key.startswith("waiting:acme:2026-11-20:")
