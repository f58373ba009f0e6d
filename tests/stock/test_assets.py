"""The Dagster stock assets on a tenant × day partition, against the emulator over a socket:
exact levels written, the WARN check listing negative available, idempotent re-runs, and the
30-minute schedule's run requests."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import yaml

from pipelines.partitions import TENANT_DIMENSION, partition_key
from pipelines.stock.definitions import stock_assets, stock_schedules
from pipelines.stock.receipts import ReceiptLine, record_receipt
from pipelines.stock.schedules import stock_requests
from resources.pennylane import PennylaneResource
from resources.stock.store import StockStore
from resources.tenants import TenantRegistryResource
from resources.warehouse import Warehouse, WarehouseResource

DAY = "2026-03-02"


def _setup(stock_env, tmp_path, monkeypatch, instance, **stock):
    env = stock_env(**stock)
    tdir = tmp_path / "tenants"
    tdir.mkdir(exist_ok=True)
    data = env.tenant.model_dump(mode="json")
    (tdir / f"{env.tenant.slug}.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("PL_TOKEN_TEST", env.pl.token)
    wh_url = str(env.store.engine.url)
    resources = {
        "warehouse": WarehouseResource(url=wh_url),
        "tenants": TenantRegistryResource(directory=str(tdir)),
        "pennylane": PennylaneResource(base_url_override=env.pl.url + "/api/external/v2"),
    }
    instance.add_dynamic_partitions(TENANT_DIMENSION, [env.tenant.slug])
    return env, resources, instance


def _materialize(env, resources, instance):
    return dg.materialize(stock_assets, partition_key=str(partition_key(env.tenant.slug, DAY)),
                          resources=resources, instance=instance)


def test_assets_write_exact_levels_warn_on_negative_and_rerun_identically(stock_env, tmp_path, monkeypatch, instance):
    env, resources, instance = _setup(stock_env, tmp_path, monkeypatch, instance, locations=["boutique", "reserve"],
                                      default_location="boutique")
    a = env.pl.product("Confiture", "CONF")
    b = env.pl.product("Biscuits", "BISC")
    c = env.pl.customer("Client", "c@c.fr")
    env.sync()  # links products so the receipt finds them by SKU
    record_receipt(env.store, env.tenant, "R1", "2026-03-01", "Ferme", [ReceiptLine("CONF", "10", "3.00")])
    record_receipt(env.store, env.tenant, "R2", "2026-03-01", "Ferme", [ReceiptLine("CONF", "4", "3.00")], "reserve")
    env.pl.invoice(c["id"], (a["id"], 3), (b["id"], 2))
    result = _materialize(env, resources, instance)
    assert result.success
    store = StockStore(Warehouse(resources["warehouse"].url))
    pa, pb = env.product_id(a["id"]), env.product_id(b["id"])
    expected = [
        {"product": pa, "location": "boutique", "on_hand_milli": 7000, "reserved_milli": 0, "available_milli": 7000},
        {"product": pa, "location": "reserve", "on_hand_milli": 4000, "reserved_milli": 0, "available_milli": 4000},
        {"product": pb, "location": "boutique", "on_hand_milli": -2000, "reserved_milli": 0, "available_milli": -2000},
        {"product": pb, "location": "reserve", "on_hand_milli": 0, "reserved_milli": 0, "available_milli": 0},
    ]
    expected.sort(key=lambda r: (r["product"], r["location"]))
    assert store.read_levels(env.tenant.slug, DAY).to_dict("records") == expected
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["movements_traceable"].passed
    warn = checks["no_negative_available"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert warn.metadata["negative"].value == ["Biscuits @ boutique: available -2"]
    ledger = store.movements(env.tenant.slug)
    again = _materialize(env, resources, instance)
    assert again.success
    assert store.movements(env.tenant.slug) == ledger
    assert store.read_levels(env.tenant.slug, DAY).to_dict("records") == expected


def test_backorders_allowed_means_no_warning(stock_env, tmp_path, monkeypatch, instance):
    env, resources, instance = _setup(stock_env, tmp_path, monkeypatch, instance, allow_backorders=True)
    b = env.pl.product("Biscuits", "BISC")
    c = env.pl.customer("Client", "c@c.fr")
    env.pl.invoice(c["id"], (b["id"], 2))
    result = _materialize(env, resources, instance)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["no_negative_available"].passed


def test_schedule_requests_only_stock_enabled_active_connected_tenants(stock_env):
    enabled, disabled, gone = stock_env(), stock_env(), stock_env()
    disabled_cfg = disabled.tenant.model_copy(update={"stock": disabled.tenant.stock.model_copy(update={"enabled": False})})
    gone_cfg = gone.tenant
    from pipelines.stock.operations import disconnect

    disconnect(enabled.store, gone_cfg.slug)  # same warehouse for the check below
    tenants = {t.slug: t for t in (enabled.tenant, disabled_cfg, gone_cfg)}
    when = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    reqs = stock_requests(tenants, when, set(tenants), enabled.store)
    assert [(r.partition_key, r.tags["pennylane-sync/trigger"]) for r in reqs] == [
        (str(partition_key(enabled.tenant.slug, "2026-11-21")), "stock-schedule")]
    assert stock_schedules[0].cron_schedule == "*/30 * * * *"
