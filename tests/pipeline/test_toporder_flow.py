"""Toporder end to end: files dropped in a tenant's inbox → the inbox sensor → runs for their
tenant-days → Pennylane; a pre-activation file refused with a notice; a file the till must fix
rejected with its report and a callback; a source error found later reported to the till too."""

import json
from datetime import date
from decimal import Decimal

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulators.generator import generate_day
from emulators.server import serve
from emulators.toporder_files import closure_from_simday, write_closure_file
from pipelines.sales.automation import toporder_inbox_sensor
from resources.sources.toporder.activation import activate
from resources.tenants import get_tenant
from tests.pipeline.test_sales_e2e import net_by_account


@pytest.fixture
def till():
    """The till's callback endpoint: records the rejection reports it is sent."""
    reports: list[dict] = []

    async def callback(request: Request):
        reports.append(await request.json())
        return JSONResponse({"received": True})

    with serve(Starlette(routes=[Route("/pennylane-errors", callback, methods=["POST"])])) as srv:
        yield f"{srv.url}/pennylane-errors", reports


@pytest.fixture
def bakery(world, till, tmp_path, monkeypatch):
    monkeypatch.setenv("TOPORDER_INBOX_DIR", str(tmp_path / "inbox"))
    token = "tok-bakery"
    monkeypatch.setenv("PL_TOKEN_BAKERY", token)
    import yaml

    from tests.pipeline.tenant_files import tenant_doc

    doc = tenant_doc("bakery", start_date="2026-11-10",
                     accounting={"waiting_deadline_hours": 24 * 365 * 50},  # "waiting" must not expire
                     source={"type": "toporder", "settings": {"callback_url": till[0]}},
                     pennylane={"base_url": world.pennylane_url + "/api/external/v2", "token_env": "PL_TOKEN_BAKERY"})
    doc["source"].pop("base_url"), doc["source"].pop("credentials")
    world.pennylane.store.register_company(token, "Boulangerie SAS", reg_no=doc["siret"][:9])  # its own company
    (world.registry_dir / "bakery.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    tenant = get_tenant("bakery", world.registry_dir)
    act = activate(world.warehouse, tenant, activated_on=date(2026, 11, 10))
    return tenant, act, token


def sensor_requests(world):
    ctx = dg.build_sensor_context(instance=world.instance, resources=world.resources())
    return toporder_inbox_sensor(ctx)


def test_inbox_files_become_runs_and_bad_files_are_refused_with_a_report(world, bakery, till):
    _tenant, act, token = bakery
    inbox = act.inbox_path.parent
    good = write_closure_file(inbox, act.identifier, generate_day("bakery", date(2026, 11, 20), seed=5))
    early = write_closure_file(inbox, act.identifier, generate_day("bakery", date(2026, 11, 5), seed=5))
    bad_doc = closure_from_simday(generate_day("bakery", date(2026, 11, 19), seed=5), act.identifier)
    payment = bad_doc["tickets"][0]["payments"][0]
    payment["amount"] = str(Decimal(payment["amount"]) + Decimal("1.00"))  # debit ≠ credit
    bad = write_closure_file(inbox, act.identifier, bad_doc)

    result = sensor_requests(world)
    keys = [r.partition_key.keys_by_dimension for r in result.run_requests]
    assert keys == [{"tenant": "bakery", "date": "2026-11-20"}]
    assert [r.partition_keys for r in result.dynamic_partitions_requests] == [["bakery"]]

    rejected = act.inbox_path / "rejected"
    early_report = json.loads((rejected / f"{early.name}.report.json").read_text())
    assert "before the activation date" in early_report["message"]
    assert (early_report["kind"], early_report["day"]) == ("notice", "2026-11-05")
    bad_report = json.loads((rejected / f"{bad.name}.report.json").read_text())
    assert (bad_report["kind"], bad_report["error_class"], bad_report["day"]) == ("error", "source", "2026-11-19")
    ticket = bad_doc["tickets"][0]["id"]
    assert any(i["record"] and ticket in i["record"] for i in bad_report["issues"]), bad_report["issues"]
    assert "tickets[0].payments" in " ".join(bad_report["fields"])
    # The till was called back with each report (the notice and the error), naming the file.
    assert {r["file"] for r in till[1]} == {early.name, bad.name}

    # The accepted file's run posts the day.
    world.instance.add_dynamic_partitions("tenant", ["bakery"])
    assert world.run("bakery", "2026-11-20").success
    [entry] = world.received(token)
    assert entry["date"] == "2026-11-20"
    assert sum(net_by_account(entry).values()) == 0
    assert not good.exists()  # moved out of the inbox
    assert sensor_requests(world).run_requests == []  # nothing new: no second run

    methods = {m["method"] for m in world.warehouse.seen_payment_methods("bakery")}
    assert {"Espèces", "CB"} <= methods


def test_a_rejected_day_waits_until_the_till_sends_a_corrected_closure(world, bakery, till):
    _tenant, act, token = bakery
    day = date(2026, 11, 21)
    doc = closure_from_simday(generate_day("bakery", day, seed=6), act.identifier)
    doc["tickets"][0]["lines"][0]["vat_rate"] = "7"  # not a French rate on that day: the till must fix it
    path = write_closure_file(act.inbox_path.parent, act.identifier, doc)

    assert sensor_requests(world).run_requests == []
    report = json.loads((act.inbox_path / "rejected" / f"{path.name}.report.json").read_text())
    assert report["error_class"] == "source"
    assert "VAT rate 7 % does not exist in France on 2026-11-21" in report["message"]
    [callback] = till[1]
    assert callback["error_class"] == "source" and "7 %" in callback["message"]

    # Until a good file arrives the day waits: nothing posted, no failure.
    world.instance.add_dynamic_partitions("tenant", ["bakery"])
    waiting = world.run("bakery", "2026-11-21")
    assert waiting.success and world.received(token) == []
    assert world.warehouse.get_day_status("bakery", "2026-11-21")["status"] == "waiting"

    fixed = closure_from_simday(generate_day("bakery", day, seed=6), act.identifier)
    fixed["generated_at"] = "2026-11-22T07:00:00+01:00"  # the re-sent closure
    write_closure_file(act.inbox_path.parent, act.identifier, fixed, name="closure-2026-11-21-resent.json")
    [request] = sensor_requests(world).run_requests
    assert request.partition_key.keys_by_dimension == {"tenant": "bakery", "date": "2026-11-21"}
    assert world.run("bakery", "2026-11-21").success
    [entry] = world.received(token)
    assert entry["date"] == "2026-11-21" and sum(net_by_account(entry).values()) == 0
