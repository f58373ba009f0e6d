"""Runs launched in this process, against the instance in ``$DAGSTER_HOME`` (so they show in the
UI): ``pennylane-sync sync`` and ``stock import-now``, the demo and the end-to-end benchmark.

An instance this module opens itself is closed when the work is done (``with``), never left for
the garbage collector: its storages only hold a weak reference to it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from core.statuses import DayStatus, StepStatus
from pipelines.definitions import build_resources
from pipelines.partitions import TENANT_DIMENSION, partition_key
from pipelines.sales.assets import sales_assets
from pipelines.sales.automation import run_tags
from pipelines.stock.definitions import stock_assets
from pipelines.stock.schedules import stock_run_request
from resources.settings import Settings
from resources.tenants import TenantConfig

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def ensure_dagster_home() -> Path:
    """``$DAGSTER_HOME`` (default ``./.dagster_home``), created with a local ``dagster.yaml``."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path.cwd() / ".dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # the embedded default: SQLite storage under DAGSTER_HOME
        config.write_text("# Local instance (SQLite under this folder); production: deploy/dagster.yaml\n"
                          "telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@contextmanager
def home_instance(instance: dg.DagsterInstance | None = None) -> Iterator[dg.DagsterInstance]:
    """``instance`` if given (its owner closes it), else the ``$DAGSTER_HOME`` instance, opened
    for the duration of the block and closed after."""
    if instance is not None:
        yield instance
        return
    ensure_dagster_home()
    with dg.DagsterInstance.get() as opened:
        yield opened


def ensure_tenant_partition(instance: dg.DagsterInstance, slug: str) -> None:
    """The tenant's key in the dynamic ``tenant`` dimension (the registry sensor adds it in production)."""
    if not instance.has_dynamic_partition(TENANT_DIMENSION, slug):
        instance.add_dynamic_partitions(TENANT_DIMENSION, [slug])


def run_periods(tenant: TenantConfig, keys: Sequence[str], *, instance: dg.DagsterInstance | None = None,
                resources: dict | None = None, out: TextIO | None = None, ranged: bool = True,
                log_level: str | None = None) -> list[dict]:
    """Materialize the sales assets for the tenant's period keys; print and return a row per period.

    ``ranged`` (default): one run for the whole range, as a backfill does (single-run backfill
    policy); otherwise one run per period, as the daily schedule does."""
    resources = resources or build_resources()
    warehouse = resources["warehouse"].get()
    out = out or sys.stdout
    level = log_level or Settings().pennylane_sync_log_level
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    batches = [list(keys)] if ranged and len(keys) > 1 else [[k] for k in keys]
    rows = []
    with home_instance(instance) as inst:
        ensure_tenant_partition(inst, tenant.slug)
        for batch in batches:
            tags = run_tags(tenant, "cli")
            if len(batch) > 1:
                tags |= {"dagster/asset_partition_range_start": str(partition_key(tenant.slug, batch[0])),
                         "dagster/asset_partition_range_end": str(partition_key(tenant.slug, batch[-1]))}
                kwargs = {}
            else:
                kwargs = {"partition_key": partition_key(tenant.slug, batch[0])}
            result = dg.materialize(sales_assets, instance=inst, resources=resources, tags=tags,
                                    raise_on_error=False, run_config=run_config, **kwargs)
            for key in batch:
                row = summarize_day(result, warehouse, tenant.slug, key)
                rows.append(row)
                print(f"{tenant.slug} {key} {row['status']:<9} {row['detail']}", file=out, flush=True)
    return rows


def summarize_day(result: dg.ExecuteInProcessResult, warehouse, slug: str, key: str) -> dict:
    """What became of one tenant-day in a run: its warehouse status, and the Pennylane entry."""
    status = warehouse.get_day_status(slug, key) or {}
    state = status.get("status", StepStatus.SKIPPED)  # no status: the run never reached the day
    row = {"tenant": slug, "period": key, "status": state, "error_class": status.get("error_class"),
           "detail": status.get("reason") or "", "run_id": result.run_id}
    if state == DayStatus.FAILED:
        return row
    wanted = str(partition_key(slug, key))
    for mat in result.asset_materializations_for_node("pennylane_entries"):
        if mat.partition == wanted:
            meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            if "pennylane_entry_id" in meta:
                row["detail"] = f"entry {meta['pennylane_entry_id']} ({meta.get('action')})"
            elif meta.get("status"):
                row["detail"] = str(meta["status"])
    return row


def import_stock_now(tenant: TenantConfig, *, trigger: str, full: bool = False, day: str | None = None,
                     instance: dg.DagsterInstance | None = None,
                     resources: dict | None = None) -> dg.ExecuteInProcessResult:
    """The stock job for one tenant, now (the UI's "import now"), with the tags of the schedule's
    run request; ``full`` re-lists every document. The partition is the schedule's (the tenant's
    today or the latest date partition) unless ``day`` is given."""
    request = stock_run_request(tenant, datetime.now(UTC), trigger)
    tags = dict(request.tags) | ({"pennylane-sync/full": "true"} if full else {})
    key = partition_key(tenant.slug, day) if day else request.partition_key
    with home_instance(instance) as inst:
        ensure_tenant_partition(inst, tenant.slug)
        return dg.materialize(stock_assets, partition_key=key, instance=inst,
                              resources=resources or build_resources(), tags=tags, raise_on_error=False,
                              run_config=QUIET_RUN_CONFIG)
