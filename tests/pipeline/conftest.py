"""Fixtures for pipeline tests: tenant files in a temp registry, a temp warehouse, and a Dagster
test instance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from resources.warehouse import Warehouse
from tests.pipeline.tenant_files import tenant_doc


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tenants"
    d.mkdir()
    return d


@pytest.fixture
def write_tenant(registry_dir: Path):
    def _write(slug: str, **over) -> Path:
        path = registry_dir / f"{slug}.yaml"
        path.write_text(yaml.safe_dump(tenant_doc(slug, **over), allow_unicode=True), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    wh = Warehouse(url=f"sqlite:///{tmp_path / 'warehouse.db'}")
    return wh


# --- Emulators over real sockets ------------------------------------------------------------
import dataclasses  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from emulators.chift import ChiftEmulatorState  # noqa: E402
from emulators.chift import create_app as create_chift_app  # noqa: E402
from emulators.pennylane import PennylaneEmulator  # noqa: E402
from emulators.server import serve  # noqa: E402
from resources.pennylane import PennylaneResource  # noqa: E402
from resources.tenants import TenantRegistryResource  # noqa: E402
from resources.warehouse import WarehouseResource  # noqa: E402
from tests.harness import PennylaneHarness  # noqa: E402

CHIFT_CREDS = {"CHIFT_CLIENT_ID": "cid-test", "CHIFT_CLIENT_SECRET": "secret-test",
               "CHIFT_ACCOUNT_ID": "6c1f0d9e-7b1a-4d2e-9a51-3f2d8e0c4b11"}


@dataclasses.dataclass
class World:
    """Pennylane and Chift emulators on 127.0.0.1, a tenant registry, a warehouse, an instance."""

    pl: PennylaneHarness
    chift: ChiftEmulatorState
    chift_url: str
    registry_dir: Path
    warehouse: Warehouse
    instance: dg.DagsterInstance
    monkeypatch: pytest.MonkeyPatch

    @property
    def pennylane(self) -> PennylaneEmulator:
        """The Pennylane emulator app (its ``store`` holds what was posted)."""
        return self.pl.app

    @property
    def pennylane_url(self) -> str:
        return self.pl.url

    def add_chift_tenant(self, slug: str, **over) -> tuple[str, str]:
        """A Chift tenant whose Pennylane company exists; returns (consumer id, token)."""
        consumer = str(uuid.uuid5(uuid.NAMESPACE_DNS, slug))
        token = f"tok-{slug}"
        env = f"PL_TOKEN_{slug.upper().replace('-', '_')}"
        self.monkeypatch.setenv(env, token)
        doc = tenant_doc(slug, **over)
        doc["source"] = {**doc["source"], "base_url": self.chift_url,
                         "settings": {**doc["source"].get("settings", {}), "consumer_id": consumer}}
        doc["pennylane"] = {**doc["pennylane"], "base_url": self.pennylane_url + "/api/external/v2",
                            "token_env": env}
        (self.registry_dir / f"{slug}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.pennylane.store.register_company(token, doc["name"], reg_no=doc["siret"][:9])
        self.chift.add_consumer(consumer, doc["name"])
        return consumer, token

    def resources(self) -> dict:
        return {
            "warehouse": WarehouseResource(url=self.warehouse.url),
            "tenants": TenantRegistryResource(directory=str(self.registry_dir)),
            "pennylane": PennylaneResource(),
        }

    def run(self, slug: str, day: str, **kwargs) -> dg.ExecuteInProcessResult:
        from pipelines.partitions import TENANT_DIMENSION, partition_key
        from pipelines.sales.assets import sales_assets

        if not self.instance.has_dynamic_partition(TENANT_DIMENSION, slug):
            self.instance.add_dynamic_partitions(TENANT_DIMENSION, [slug])
        return dg.materialize(sales_assets, partition_key=partition_key(slug, day), instance=self.instance,
                              resources=self.resources(), raise_on_error=False, **kwargs)

    def received(self, token: str) -> list[dict]:
        """What Pennylane holds for the company of ``token`` (see :meth:`PennylaneHarness.received`)."""
        return self.pl.received(token)


@pytest.fixture
def world(tmp_path: Path, pennylane_spec: Path, registry_dir: Path, warehouse: Warehouse, instance,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for k, v in CHIFT_CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PENNYLANE_BASE_URL", raising=False)
    chift = ChiftEmulatorState(client_id=CHIFT_CREDS["CHIFT_CLIENT_ID"],
                               client_secret=CHIFT_CREDS["CHIFT_CLIENT_SECRET"],
                               account_id=CHIFT_CREDS["CHIFT_ACCOUNT_ID"])
    # Pennylane's real limit (25 requests / 5 s per token), as the pipeline meets it in production
    with (PennylaneHarness(tmp_path / "pennylane.db", pennylane_spec, rate_limit_window=5.0) as pl,
          serve(create_chift_app(chift)) as ch):
        yield World(pl, chift, ch.url, registry_dir, warehouse, instance, monkeypatch)
    pl.assert_no_spec_violations()


@pytest.fixture
def cli_env(world, tmp_path, monkeypatch):
    """The world, with the environment a user's shell gives the CLI (home, warehouse, tenants)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WAREHOUSE_URL", world.warehouse.url)
    monkeypatch.setenv("TENANTS_DIR", str(world.registry_dir))
    return world
