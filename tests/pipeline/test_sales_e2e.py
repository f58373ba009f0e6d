"""End to end through Dagster: Chift emulator → daily_sales → journal_lines → pennylane_entries →
Pennylane emulator, over real sockets, every Pennylane request validated against the spec."""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.accounting.payment_methods import resolve_method
from emulators.generator import (
    SimDay,
    SimLine,
    SimLocation,
    SimOrder,
    SimPayment,
    expected_frames,
    generate_day,
)
from emulators.server import serve
from pipelines.alerts import partition_failure_alerts
from resources.tenants import get_tenant

DAY = date(2026, 11, 20)


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def net_by_account(entry: dict) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for account, debit, credit, _label in entry["lines"]:
        out[account] += cents(debit) - cents(credit)
    return dict(out)


def materializations(result, node: str):
    return [{k: getattr(v, "value", v) for k, v in m.metadata.items()} for m in result.asset_materializations_for_node(node)]


def test_a_generated_restaurant_day_is_posted_once_balanced_and_equal_to_the_source(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    simday = generate_day("restaurant", DAY, seed=7)
    world.chift.add_day(consumer, simday)

    result = world.run("bistro", "2026-11-20")
    assert result.success

    [entry] = world.received(token)
    assert entry["date"] == "2026-11-20"
    assert entry["journal"] == "VT"
    assert entry["label"] == "Ventes 2026-11-20 — Bistro SAS"
    balance = net_by_account(entry)
    assert sum(balance.values()) == 0

    # Independently from the mapping: what the source says must be what the entry says.
    truth = expected_frames(simday)
    tenant = get_tenant("bistro", world.registry_dir)
    expected_debits: dict[str, int] = defaultdict(int)
    for method, amount in truth.payments.groupby("method")["amount_cents"].sum().items():
        expected_debits[resolve_method(method, tenant.accounting).account] += int(amount)
    for account, amount in expected_debits.items():
        assert balance[account] == amount, account
    lines = truth.sales_lines
    assert -balance["44571"] == int(lines["vat_cents"].sum())
    assert -balance["4286"] == int(truth.payments["tip_cents"].sum())
    sales = sum(v for k, v in balance.items() if k.startswith("70"))
    assert -sales == int(lines["net_cents"].sum())

    [posted] = materializations(result, "pennylane_entries")
    assert posted["action"] == "created"

    # Running the day again posts nothing new.
    again = world.run("bistro", "2026-11-20")
    assert again.success
    assert materializations(again, "pennylane_entries")[0]["action"] == "unchanged"
    assert len(world.received(token)) == 1


# Waiting tests must not depend on today's date: a day stays "waiting" only until its deadline.
NO_DEADLINE = {"waiting_deadline_hours": 24 * 365 * 50}


def test_a_day_whose_closure_is_still_open_waits_without_posting_or_failing(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01", accounting=NO_DEADLINE)
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=3), closure_status="open")

    result = world.run("bistro", "2026-11-20")
    assert result.success
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"journal_lines", "pennylane_entries"}
    assert world.received(token) == []
    assert world.warehouse.get_day_status("bistro", "2026-11-20")["status"] == "waiting"

    world.chift.set_closure_status(consumer, DAY, "closed")
    assert world.run("bistro", "2026-11-20").success
    assert len(world.received(token)) == 1
    assert world.warehouse.get_day_status("bistro", "2026-11-20")["status"] == "posted"


def test_a_day_still_open_past_its_deadline_fails_as_a_source_error(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01",
                                             accounting={"waiting_deadline_hours": 48})
    world.chift.add_day(consumer, generate_day("restaurant", date(2026, 11, 2), seed=3), closure_status="open")
    result = world.run("bistro", "2026-11-02")  # ended 2026-11-03 00:00 Paris: long past 48 h
    assert not result.success
    status = world.warehouse.get_day_status("bistro", "2026-11-02")
    assert status["status"] == "failed" and status["error_class"] == "source"
    assert "still not final 48 h after it ended" in status["reason"]
    assert world.received(token) == []


def _one_order_day(rate2: str = "7", paid: int = 2140, method: str = "Carte bancaire", day: date = DAY) -> SimDay:
    when = datetime(day.year, day.month, day.day, 12, 30, tzinfo=UTC)
    order = SimOrder(
        order_id="T-1", location_id="loc-1", closed_at=when,
        lines=[SimLine("T-1-1", "P1", "SKU1", "Menu", "Plats", Decimal(1), 1070, "10", 0),
               SimLine("T-1-2", "P2", "SKU2", "Livre", "Librairie", Decimal(1), 1070, rate2, 0)],
        payments=[SimPayment("T-1-p", method, paid)],
    )
    return SimDay(day=day, timezone="Europe/Paris", currency="EUR",
                  locations=[SimLocation("loc-1", "Salle", "Europe/Paris")], orders=[order])


def _day_with_unknown_rate() -> SimDay:
    return _one_order_day(rate2="7")


@pytest.fixture
def webhook():
    received: list[dict] = []

    async def hook(request: Request):
        received.append(await request.json())
        return JSONResponse({"ok": True})

    with serve(Starlette(routes=[Route("/alerts", hook, methods=["POST"])])) as srv:
        yield f"webhook+{srv.url}/alerts", received


def test_an_unknown_vat_rate_fails_the_blocking_check_posts_nothing_and_alerts_once(world, webhook):
    route, received = webhook
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01",
                                             alerts={"routes": [route]})
    world.chift.add_day(consumer, _day_with_unknown_rate())

    result = world.run("bistro", "2026-11-20")
    assert not result.success
    assert world.received(token) == []  # nothing reached Pennylane
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["vat_rates_known"].passed is False
    failure_cases = checks["vat_rates_known"].metadata["failure_cases"].value
    assert "T-1" in failure_cases and "vat_rate" in failure_cases and "7" in failure_cases
    assert world.warehouse.read_partition("journal_lines", "bistro", "2026-11-20").empty

    run = world.instance.get_run_by_id(result.run_id)
    assert run.tags["dagster/partition/tenant"] == "bistro"
    [failure] = world.instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    ctx = dg.build_run_status_sensor_context(
        sensor_name="partition_failure_alerts", dagster_instance=world.instance, dagster_run=run,
        dagster_event=failure.dagster_event, resources=world.resources(),
    ).for_run_failure()
    partition_failure_alerts(ctx)
    partition_failure_alerts(ctx)  # the sensor seeing the same run twice alerts once
    [alert] = received
    assert (alert["tenant"], alert["day"], alert["error_class"]) == ("bistro", "2026-11-20", "source")
    assert "vat_rate" in alert["message"] and "T-1" in alert["message"]
    assert alert["run_url"].endswith(f"/runs/{result.run_id}")
    assert "source system" in alert["owner"]


def _alerts_for(world, result) -> None:
    run = world.instance.get_run_by_id(result.run_id)
    [failure] = world.instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    partition_failure_alerts(dg.build_run_status_sensor_context(
        sensor_name="partition_failure_alerts", dagster_instance=world.instance, dagster_run=run,
        dagster_event=failure.dagster_event, resources=world.resources(),
    ).for_run_failure())


def test_an_unbalanced_day_fails_entry_balanced_and_posts_nothing(world, webhook):
    route, received = webhook
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01", alerts={"routes": [route]})
    world.chift.add_day(consumer, _one_order_day(rate2="20", paid=2000))  # 21.40 sold, 20.00 paid

    result = world.run("bistro", "2026-11-20")
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["entry_balanced"].passed is False
    assert world.received(token) == []
    _alerts_for(world, result)
    [alert] = received
    assert alert["error_class"] == "source"
    assert "debit" in alert["message"].lower() and "credit" in alert["message"].lower()


def test_strict_mode_unknown_method_is_a_mapping_error_for_the_accountant(world, webhook):
    route, received = webhook
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01", alerts={"routes": [route]},
                                             accounting={"strict": True})
    world.chift.add_day(consumer, _one_order_day(rate2="20", method="Lydia"))

    result = world.run("bistro", "2026-11-20")
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["accounts_mapped"].passed is False
    assert "Lydia" in checks["accounts_mapped"].metadata["failure_cases"].value
    assert world.received(token) == []
    _alerts_for(world, result)
    [alert] = received
    assert alert["error_class"] == "mapping"
    assert "Lydia" in alert["message"]
    assert "accountant" in alert["owner"]


def test_a_backfill_range_runs_as_one_run_posting_good_days_and_alerting_per_failed_day(world, webhook):
    from pipelines.inprocess import run_periods
    from resources.tenants import get_tenant

    route, received = webhook
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01", alerts={"routes": [route]},
                                             accounting=NO_DEADLINE)
    days = [date(2026, 11, d) for d in (16, 17, 18, 19, 20)]
    for i, d in enumerate(days):
        if d.day == 19:
            world.chift.add_day(consumer, _one_order_day(rate2="7", day=d))  # a source error
        else:
            world.chift.add_day(consumer, generate_day("restaurant", d, seed=20 + i),
                                closure_status="open" if d.day == 18 else "closed")

    tenant = get_tenant("bistro", world.registry_dir)
    rows = run_periods(tenant, [d.isoformat() for d in days], instance=world.instance,
                       resources=world.resources())
    assert [(r["period"], r["status"]) for r in rows] == [
        ("2026-11-16", "posted"), ("2026-11-17", "posted"), ("2026-11-18", "waiting"),
        ("2026-11-19", "failed"), ("2026-11-20", "posted")]
    assert rows[3]["error_class"] == "source" and "vat_rate" in rows[3]["detail"]
    assert len({r["run_id"] for r in rows}) == 1  # one run for the whole range

    assert [e["date"] for e in world.received(token)] == ["2026-11-16", "2026-11-17", "2026-11-20"]
    materialized = world.instance.get_materialized_partitions(dg.AssetKey("pennylane_entries"))
    assert materialized == {"2026-11-16|bistro", "2026-11-17|bistro", "2026-11-20|bistro"}

    run = world.instance.get_run_by_id(rows[0]["run_id"])
    assert run.status == dg.DagsterRunStatus.FAILURE
    [failure] = world.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    partition_failure_alerts(dg.build_run_status_sensor_context(
        sensor_name="partition_failure_alerts", dagster_instance=world.instance, dagster_run=run,
        dagster_event=failure.dagster_event, resources=world.resources(),
    ).for_run_failure())
    [alert] = received  # one alert: the failed day, not the waiting one nor the range
    assert (alert["tenant"], alert["day"], alert["error_class"]) == ("bistro", "2026-11-19", "source")

    # The waiting day posts once its closure is closed; the posted days stay untouched.
    world.chift.set_closure_status(consumer, date(2026, 11, 18), "closed")
    again = run_periods(tenant, [d.isoformat() for d in days], instance=world.instance,
                        resources=world.resources())
    assert [r["status"] for r in again] == ["posted", "posted", "posted", "failed", "posted"]
    assert [r["detail"].split()[-1] for r in again if r["status"] == "posted"] == [
        "(unchanged)", "(unchanged)", "(created)", "(unchanged)"]
    assert [e["date"] for e in world.received(token)] == ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-20"]


def test_a_monthly_tenant_gets_one_entry_for_the_calendar_month(world):
    consumer, token = world.add_chift_tenant("eshop", start_date="2026-09-01", frequency="monthly")
    # Every day of October has its (closed) closure, and so has November 1st.
    days = [date(2026, 10, d) for d in range(1, 32)] + [date(2026, 11, 1)]
    simdays = [generate_day("shop", d, seed=40 + i, n_orders=3) for i, d in enumerate(days)]
    for simday in simdays:
        world.chift.add_day(consumer, simday)

    assert world.run("eshop", "2026-10-01").success
    skipped = world.run("eshop", "2026-10-15")  # not a period start for a monthly tenant: nothing runs
    assert skipped.success and not skipped.asset_materializations_for_node("pennylane_entries")

    [entry] = world.received(token)
    assert (entry["date"], entry["label"]) == ("2026-10-31", "Ventes 2026-10 — Eshop SAS")
    october = [expected_frames(s) for s in simdays[:-1]]
    takings = sum(int(f.payments["amount_cents"].sum()) for f in october)
    debits = sum(v for v in net_by_account(entry).values() if v > 0)
    assert debits >= takings  # every October payment is in the entry, November's is not
    assert sum(net_by_account(entry).values()) == 0
    vat = sum(int(f.sales_lines["vat_cents"].sum()) for f in october)
    assert -net_by_account(entry)["44571"] == vat


def test_a_per_location_day_with_a_missing_account_posts_none_of_its_entries(world):
    consumer, token = world.add_chift_tenant(
        "bistro", start_date="2026-11-01", accounting={"per_location": True},
        pennylane={"create_missing_accounts": False})
    when = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    orders = [
        SimOrder("A-1", "loc-1", when, [SimLine("A-1-1", "P1", "S1", "Menu", "Plats", Decimal(1), 1100, "10", 0)],
                 [SimPayment("A-1-p", "Carte bancaire", 1100)]),
        SimOrder("B-1", "loc-2", when, [SimLine("B-1-1", "P1", "S1", "Menu", "Plats", Decimal(1), 2200, "10", 0)],
                 [SimPayment("B-1-p", "Espèces", 2200)]),
    ]
    world.chift.add_day(consumer, SimDay(DAY, "Europe/Paris", "EUR", [
        SimLocation("loc-1", "Salle", "Europe/Paris"), SimLocation("loc-2", "Terrasse", "Europe/Paris")], orders))
    # Pennylane already has every account of loc-1's entry, but not the cash account loc-2 needs.
    client = world.pl.client(token, tenant="bistro")
    for number, label in (("5115", "Cartes bancaires"), ("707", "Ventes"), ("44571", "TVA collectée")):
        client.create_ledger_account(number, label)

    result = world.run("bistro", "2026-11-20")
    assert not result.success
    status = world.warehouse.get_day_status("bistro", "2026-11-20")
    assert (status["status"], status["error_class"]) == ("failed", "mapping")
    assert "530" in status["reason"]  # the missing account is named
    assert world.received(token) == []  # not even loc-1's entry: the day stays whole

    # Once accounts may be created, both entries post, once each.
    world.add_chift_tenant("bistro", start_date="2026-11-01", accounting={"per_location": True})
    assert world.run("bistro", "2026-11-20").success
    entries = world.received(token)
    assert len(entries) == 2 and {e["date"] for e in entries} == {"2026-11-20"}
