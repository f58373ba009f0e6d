"""deploy/helm/values.yaml against the official Dagster chart: merged over the chart's defaults the
way Helm merges (maps recursively, lists and scalars replace, null deletes), then validated by the
chart's own values.schema.json, both read from ../shared/specs/dagster-helm/."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import REPO, spec_path

VALUES = REPO / "deploy" / "helm" / "values.yaml"
INSTANCE = REPO / "deploy" / "dagster.yaml"


def helm_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def without_remote_refs(node):
    """The chart's schema points at kubernetesjsonschema.dev for Kubernetes types; offline, a
    remote reference is an empty schema (../shared/specs/README.md: validators without network
    treat them so). Local ``#/definitions/...`` references are kept."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#"):
            return {}
        return {key: without_remote_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [without_remote_refs(value) for value in node]
    return node


def validate_against_chart(values: dict, chart_dir: Path) -> list[str]:
    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text())
    schema = without_remote_refs(json.loads((chart_dir / "values.schema.json").read_text()))
    merged = helm_merge(defaults, values)
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged)]


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


@pytest.fixture(scope="module")
def chart_dir() -> Path:
    return spec_path("dagster-helm/values.schema.json").parent


def test_values_validate_against_the_chart_schema(values, chart_dir):
    assert validate_against_chart(values, chart_dir) == []


def test_the_schema_check_rejects_a_wrong_value(values, chart_dir):
    broken = copy.deepcopy(values)
    broken["runLauncher"]["type"] = "K8sLauncher"
    broken["dagster-user-deployments"]["deployments"][0]["port"] = "3030"
    errors = validate_against_chart(broken, chart_dir)
    assert any(e.startswith("runLauncher/type") for e in errors)
    assert any("deployments/0/port" in e for e in errors)


def test_user_code_runs_our_module_with_tenants_inbox_and_secrets(values):
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "pipelines.definitions", "--attribute", "defs"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    mounts = {m["name"]: m["mountPath"] for m in deployment["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["volumes"]}
    assert env["TENANTS_DIR"] == mounts["tenants"]
    assert env["TOPORDER_INBOX_DIR"] == mounts["toporder-inbox"]
    assert env["DAGSTER_DEPLOYMENT"] == "prod"
    assert volumes["tenants"]["configMap"]["name"] == "pennylane-sync-tenants"
    assert volumes["toporder-inbox"]["persistentVolumeClaim"]["claimName"] == "pennylane-sync-toporder"
    assert deployment["envSecrets"] == [{"name": "pennylane-sync-secrets"}]
    # run pods inherit it all, and run as the image's non-root user
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    assert deployment["podSecurityContext"]["runAsUser"] == 10001
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False


def test_run_queue_limits_match_the_single_machine_instance(values):
    """The per-tenant / per-source queue limits are the same on Kubernetes and on one machine."""
    instance = yaml.safe_load(INSTANCE.read_text())
    one_machine = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    chart = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert chart["tagConcurrencyLimits"] == one_machine
    assert chart["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]
    assert values["dagsterDaemon"]["runRetries"]["maxRetries"] == instance["run_retries"]["max_retries"]
