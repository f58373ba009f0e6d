"""The step retry policy retries transient errors only (issue 10 §14): a warehouse outage is
retried and the day is posted once; a bug is not retried (no retry storm on our own errors)."""

from __future__ import annotations

import dataclasses
import threading

import dagster as dg
import pytest
import sqlalchemy as sa

from emulators.generator import generate_day
from resources.warehouse import Warehouse
from tests.conftest import PG_ADMIN_URL
from tests.pipeline.test_sales_e2e import DAY, net_by_account


def retries(result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]


def failure_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = result.get_step_failure_events()
    return {k: v.value for k, v in event.step_failure_data.user_failure_data.metadata.items()}


def test_a_bug_in_the_warehouse_is_not_retried(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=11))
    with world.warehouse.engine.begin() as conn:  # a schema our code does not expect: our bug
        conn.execute(sa.text("DROP TABLE day_status"))
    result = world.run("bistro", DAY.isoformat())
    assert not result.success
    assert retries(result) == []
    meta = failure_metadata(result)
    assert (meta["error_class"], meta["tenant"], meta["day"], meta["exception"]) == (
        "bug", "bistro", DAY.isoformat(), "OperationalError")
    assert world.received(token) == []


@pytest.mark.postgres
@pytest.mark.slow
def test_a_warehouse_outage_is_retried_and_the_day_posts_once(world, postgres_url):
    w = dataclasses.replace(world, warehouse=Warehouse(postgres_url))
    consumer, token = w.add_chift_tenant("bistro", start_date="2026-11-01")
    w.chift.add_day(consumer, generate_day("restaurant", DAY, seed=11))
    database = sa.make_url(postgres_url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def allow(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(on).lower()}'))
            if not on:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": database})

    allow(False)  # the warehouse is down when the run starts, and back 3 s later
    back = threading.Timer(3.0, allow, args=(True,))
    back.start()
    try:
        result = w.run("bistro", DAY.isoformat())
    finally:
        back.join()
        allow(True)
        admin.dispose()
        w.warehouse.engine.dispose()
    assert result.success
    assert retries(result) == ["daily_sales"]
    [entry] = w.received(token)
    assert sum(net_by_account(entry).values()) == 0
    assert Warehouse(postgres_url).get_day_status("bistro", DAY.isoformat())["status"] == "posted"
