"""Run-failure sensor: one alert per failed partition (tenant, day, error class, message, run link).

The error class comes from the ``dagster.Failure`` metadata that the sales assets attach
(``pipelines/sales/assets.py``); a failure without it (a crash, an unexpected exception) is a
``bug``. Each (run, partition) is alerted once, recorded in the warehouse's ``alert_log``.
"""


import contextlib

import dagster as dg
import sqlalchemy as sa

from core.errors import ErrorClass
from resources.alerts import Alert, alert_log, deployment_routes, send_alert
from resources.settings import Settings
from resources.tenants import TenantRegistryError, TenantRegistryResource
from resources.warehouse import WarehouseResource

ERROR_CLASS_BY_EXCEPTION = {
    "SourceDataError": ErrorClass.SOURCE, "MappingError": ErrorClass.MAPPING, "TransientError": ErrorClass.TRANSIENT,
    "TimeoutException": ErrorClass.TRANSIENT, "ConnectError": ErrorClass.TRANSIENT,
    "ReadTimeout": ErrorClass.TRANSIENT,
}


def webserver_url() -> str:
    return Settings().dagster_webserver_url.rstrip("/")


def classify_failure(step_failures) -> tuple[ErrorClass, str]:
    """(error class, message) of the first step failure of a run."""
    for event in step_failures:
        data = event.step_failure_data
        user = data.user_failure_data
        if user is not None:
            meta = {k: getattr(v, "value", v) for k, v in (user.metadata or {}).items()}
            if meta.get("error_class"):
                return ErrorClass.of(meta["error_class"]), user.description or ""
        err = data.error
        if err is not None:
            cause = err.cause or err
            cls = ERROR_CLASS_BY_EXCEPTION.get(cause.cls_name or "", ErrorClass.BUG)
            return cls, (cause.message or err.message or "").strip()
    return ErrorClass.BUG, "the run failed before any step ran (see the run's logs)"


def partitions_of(run: dg.DagsterRun) -> list[tuple[str, str]]:
    tags = run.tags
    tenant = tags.get("dagster/partition/tenant")
    day = tags.get("dagster/partition/date")
    if tenant and day:
        return [(tenant, day)]
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    if start and end:  # a ranged run: name the range
        (d1, t1), (d2, _t2) = start.split("|"), end.split("|")
        return [(t1, f"{d1}..{d2}")]
    return []


def failed_days_of(step_failures) -> dict[str, dict[str, str]] | None:
    """A ranged run (one tenant's backfill in one run) lists its failed days in the Failure's
    ``failed_days`` metadata: ``{"<date>|<tenant>": {"error_class", "message"}}``."""
    for event in step_failures:
        user = event.step_failure_data.user_failure_data
        if user is not None and "failed_days" in (user.metadata or {}):
            return dict(user.metadata["failed_days"].value)
    return None


def alert_for_run(run: dg.DagsterRun, step_failures, registry: TenantRegistryResource, warehouse) -> list[Alert]:
    per_day = failed_days_of(step_failures)
    if per_day is not None:
        failures = []
        for key, info in sorted(per_day.items()):
            day, tenant = key.split("|")
            failures.append((tenant, day, ErrorClass.of(info.get("error_class")), info.get("message") or ""))
    else:
        error_class, message = classify_failure(step_failures)
        failures = [(tenant, day, error_class, message) for tenant, day in partitions_of(run)]
    sent = []
    for tenant, day, error_class, message in failures:
        alert = Alert(
            tenant=tenant, day=day, error_class=error_class.value, message=message, run_id=run.run_id,
            run_url=f"{webserver_url()}/runs/{run.run_id}", job=run.job_name, owner=error_class.owner,
        )
        with warehouse.engine.connect() as conn:
            already = conn.execute(sa.select(alert_log.c.run_id).where(
                alert_log.c.run_id == run.run_id, alert_log.c.tenant == tenant, alert_log.c.day == day)).first()
        if already:
            continue
        routes = deployment_routes()
        with contextlib.suppress(TenantRegistryError):  # a deleted tenant file: deployment routes only
            routes += list(registry.get(tenant).alerts.routes)
        failed = send_alert(alert, routes)  # outside any transaction: no lock held during HTTP calls
        with warehouse.engine.begin() as conn:
            conn.execute(alert_log.insert().values(
                run_id=run.run_id, tenant=tenant, day=day, error_class=error_class.value, message=message,
                failed_routes=", ".join(failed) or None))
        sent.append(alert)
    return sent


@dg.run_failure_sensor(
    name="partition_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends one alert per failed tenant-day: tenant, day, error class, message, run link.",
)
def partition_failure_alerts(context: dg.RunFailureSensorContext, tenants: TenantRegistryResource,
                             warehouse: WarehouseResource):
    alerts = alert_for_run(context.dagster_run, context.get_step_failure_events(), tenants, warehouse.get())
    for a in alerts:
        context.log.info(f"alert sent: {a.title}")
