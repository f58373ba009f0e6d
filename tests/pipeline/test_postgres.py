"""Production storage for real: the Dagster instance from deploy/dagster.yaml on PostgreSQL
(dagster-postgres) and the warehouse on PostgreSQL. Fails (never skips) with CI=true."""

import dataclasses
import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from emulators.generator import generate_day
from pipelines.partitions import TENANT_DIMENSION
from resources.warehouse import Warehouse
from tests.pipeline.test_sales_e2e import DAY, net_by_account

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(world, postgres_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    # dagster-postgres needs the psycopg2 driver (see deploy/dagster.yaml); the warehouse uses psycopg 3.
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_url.replace("+psycopg://", "+psycopg2://"))
    warehouse = Warehouse(url=postgres_url)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield dataclasses.replace(world, warehouse=warehouse, instance=instance)
    warehouse.engine.dispose()


def test_a_partition_runs_on_a_postgres_instance_and_warehouse(pg_world, postgres_url):
    w = pg_world
    assert type(w.instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(w.instance.event_log_storage).__name__ == "PostgresEventLogStorage"

    consumer, token = w.add_chift_tenant("bistro", start_date="2026-11-01")
    w.chift.add_day(consumer, generate_day("restaurant", DAY, seed=11))
    result = w.run("bistro", "2026-11-20")
    assert result.success
    [entry] = w.received(token)
    assert sum(net_by_account(entry).values()) == 0

    # Dagster's own records are in Postgres...
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")).scalar_one()
        parts = conn.execute(sa.text("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = :n"),
                             {"n": TENANT_DIMENSION}).scalars().all()
        # ... and so are the warehouse's datasets and the posting log.
        lines = conn.execute(sa.text(
            "SELECT count(*) FROM sales_lines WHERE tenant = 'bistro' AND period = '2026-11-20'")).scalar_one()
        journal = conn.execute(sa.text(
            "SELECT sum(debit_cents) - sum(credit_cents), count(*) FROM journal_lines WHERE tenant = 'bistro'")).one()
        posted = conn.execute(sa.text(
            "SELECT status, pennylane_id FROM posting_log WHERE tenant = 'bistro'")).all()
    engine.dispose()
    assert runs == 1
    assert parts == ["bistro"]
    assert lines == sum(len(o.lines) for o in generate_day("restaurant", DAY, seed=11).orders)
    assert journal[0] == 0 and journal[1] == len(entry["lines"])
    assert len(posted) == 1 and posted[0][1] is not None

    # Re-running on Postgres is idempotent too.
    assert w.run("bistro", "2026-11-20").success
    assert len(w.received(token)) == 1
    mats = w.instance.fetch_materializations(dg.AssetKey("pennylane_entries"), limit=10).records
    assert [m.partition_key for m in mats] == ["2026-11-20|bistro", "2026-11-20|bistro"]
