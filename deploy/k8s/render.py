"""The Kubernetes objects that live beside the Dagster Helm release (deploy/helm/values.yaml).

    python -m deploy.k8s.render --namespace dagster > k8s.yaml && kubectl apply -f k8s.yaml
    python -m deploy.k8s.render --list-env            # env var names the secret must hold

It renders the ``pennylane-sync-tenants`` ConfigMap (one key per ``<slug>.yaml``, each file
validated first) and the ``pennylane-sync-toporder`` inbox claim. The secret itself is never
rendered: its values are credentials, created with
``kubectl create secret generic pennylane-sync-secrets --from-env-file=…`` from the names that
``--list-env`` prints (names only, never values).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from resources.tenants import TenantConfig, load_tenant_file, tenants_dir

TENANTS_CONFIGMAP = "pennylane-sync-tenants"
SECRET_NAME = "pennylane-sync-secrets"
INBOX_CLAIM = "pennylane-sync-toporder"
LABELS = {"app.kubernetes.io/name": "pennylane-sync", "app.kubernetes.io/part-of": "dagster"}
# Read by every deployment beside the tenants' own variables (see README, "Production").
PLATFORM_ENV = ("WAREHOUSE_URL", "ALERT_ROUTES")


def tenant_files(directory: Path) -> dict[str, TenantConfig]:
    """The tenant files the ConfigMap carries, by file name; an invalid file stops the render."""
    return {path.name: load_tenant_file(path) for path in sorted(directory.glob("*.yaml"))}


def required_env(tenants: dict[str, TenantConfig]) -> list[str]:
    """Every environment variable the deployment's secret must define (names only)."""
    names = set(PLATFORM_ENV)
    for cfg in tenants.values():
        names.add(cfg.pennylane.token_env)
        names.update(v for v in cfg.source.credentials.model_dump().values() if v)
    return sorted(names)


def tenants_configmap(directory: Path, namespace: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": TENANTS_CONFIGMAP, "namespace": namespace, "labels": LABELS},
        "data": {path.name: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.yaml"))},
    }


def inbox_claim(namespace: str, size: str, storage_class: str | None) -> dict:
    """Toporder's inbox: written by the receiver, read by the sensor (code server) and the run
    pods, hence ReadWriteMany."""
    spec: dict = {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": INBOX_CLAIM, "namespace": namespace, "labels": LABELS},
        "spec": spec,
    }


def render(directory: Path, namespace: str, inbox_size: str = "5Gi", storage_class: str | None = None) -> str:
    tenant_files(directory)  # refuse to ship a file the code location would reject
    docs = [tenants_configmap(directory, namespace), inbox_claim(namespace, inbox_size, storage_class)]
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.k8s.render", description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=Path, default=None, help="tenant directory (default: $TENANTS_DIR)")
    parser.add_argument("--namespace", default="dagster")
    parser.add_argument("--inbox-size", default="5Gi")
    parser.add_argument("--storage-class", default=None)
    parser.add_argument("--list-env", action="store_true", help="print the env var names the secret needs")
    args = parser.parse_args(argv)
    directory = args.tenants or tenants_dir()
    if args.list_env:
        print("\n".join(required_env(tenant_files(directory))))
    else:
        sys.stdout.write(render(directory, args.namespace, args.inbox_size, args.storage_class))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
