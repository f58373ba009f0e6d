"""The code location loads, and what it declares is pinned: a refactor that drops an asset, a
check, a job, a schedule or a sensor, or changes a partitioning, fails here (review the snapshot
with ``pytest --snapshot-update`` when the change is meant)."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap, ResourceConfigEnvVarSnap
from dagster._serdes import serialize_value

from pipelines.definitions import build_resources, defs


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def describe_partitions(partitions: dg.PartitionsDefinition | None) -> str | None:
    if partitions is None:
        return None
    if isinstance(partitions, dg.MultiPartitionsDefinition):
        return " × ".join(f"{d.name}: {describe_partitions(d.partitions_def)}"
                          for d in partitions.partitions_defs)
    if isinstance(partitions, dg.DynamicPartitionsDefinition):
        return f"dynamic {partitions.name}"
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        return f"{partitions.cron_schedule} {partitions.timezone} from {partitions.start.date()}"
    return type(partitions).__name__


def test_declared_assets_checks_jobs_schedules_and_sensors(snapshot):
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): {
            "partitions": describe_partitions(graph.get(key).partitions_def),
            "deps": sorted(k.to_user_string() for k in graph.get(key).parent_keys),
            "checks": sorted(c.name for c in graph.get(key).check_keys),
        }
        for key in sorted(graph.get_all_asset_keys())
    }
    jobs = sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__"))
    schedules = {s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name}
                 for s in defs.schedules or []}
    sensors = sorted((s.name, type(s).__name__) for s in defs.sensors or [])
    assert {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors} == snapshot


SECRET_URL = "postgresql+psycopg://sync:s3cr3t-pw@db.internal:5432/warehouse"


@pytest.mark.parametrize("deployment", ["prod", "local"])
def test_the_ui_shows_the_warehouse_url_variable_never_its_password(monkeypatch, deployment):
    monkeypatch.setenv("WAREHOUSE_URL", SECRET_URL)
    monkeypatch.setenv("TENANTS_DIR", "/etc/pennylane-sync/tenants")
    location = dg.Definitions(assets=defs.assets, resources=build_resources(deployment))
    # What the code server hands the webserver: the serialized repository snapshot.
    snap = RepositorySnap.from_def(location.get_repository_def())
    shown = {r.name: r.configured_values for r in snap.resources}
    assert shown["warehouse"]["url"] == ResourceConfigEnvVarSnap(name="WAREHOUSE_URL")
    assert shown["tenants"]["directory"] == ResourceConfigEnvVarSnap(name="TENANTS_DIR")
    assert "s3cr3t-pw" not in serialize_value(snap)


def test_local_deployment_points_pennylane_at_the_emulator_and_prod_at_the_tenant_files(monkeypatch):
    monkeypatch.setenv("PENNYLANE_BASE_URL", "http://127.0.0.1:8765/api/external/v2")
    assert build_resources("local")["pennylane"].base_url_override == "http://127.0.0.1:8765/api/external/v2"
    assert build_resources("prod")["pennylane"].base_url_override is None
