"""The warehouse schema comes from the Alembic migrations shipped in the package: an empty SQLite
or Postgres database is upgraded to the models exactly (``alembic check``), a database made by the
former ``create_all`` keeps its rows and gets the baseline recorded, two processes opening a new
warehouse at once migrate it once, and ``pennylane-sync db upgrade`` does it from the shell."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from pipelines.cli import cli
from resources.migrations import (
    BASELINE,
    VERSION_TABLE,
    WarehouseSchemaError,
    alembic_config,
    current,
    head,
    upgrade_engine,
)
from resources.migrations.models import METADATA
from resources.warehouse import Warehouse, day_status, make_engine

REPO = Path(__file__).resolve().parents[2]


def assert_models_match(engine: sa.Engine) -> None:
    """``alembic check``: autogenerate finds nothing to do between the models and the database."""
    with engine.connect() as conn:
        command.check(alembic_config(conn))
        assert current(conn) == head()
        tables = set(sa.inspect(conn).get_table_names())
    assert set(METADATA.tables) <= tables


def test_an_empty_sqlite_warehouse_is_upgraded_to_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wh.db'}")
    result = upgrade_engine(engine)
    assert (result.before, result.after, result.legacy) == (None, head(), False)
    assert_models_match(engine)
    again = upgrade_engine(engine)
    assert again.before == again.after == head()
    assert again.describe() == f"warehouse already at {head()}"


@pytest.mark.postgres
def test_an_empty_postgres_warehouse_is_upgraded_to_the_models(postgres_url):
    engine = make_engine(postgres_url)
    try:
        assert upgrade_engine(engine).before is None
        assert_models_match(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_dagster_instance_revision_table_in_the_same_database_is_left_alone(postgres_url):
    """Dagster's Postgres storage keeps its own ``alembic_version``: ours is another table."""
    engine = make_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO alembic_version VALUES ('dagster_rev_42')"))
        upgrade_engine(engine)
        assert_models_match(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "dagster_rev_42"
            assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() == head()
    finally:
        engine.dispose()


def _legacy_warehouse(url: str, *, without: str | None = None) -> sa.Engine:
    """What the former ``Warehouse.create_all`` left: every table, no revision, some rows."""
    engine = make_engine(url)
    METADATA.create_all(engine, tables=[t for t in METADATA.sorted_tables if t.name != without])
    with engine.begin() as conn:
        conn.execute(day_status.insert().values(
            tenant="bistro", period="2026-11-20", status="posted", reason=None, error_class=None,
            first_seen_at=sa.func.now(), updated_at=sa.func.now()))
    return engine


def _assert_legacy_upgraded(engine: sa.Engine) -> None:
    result = upgrade_engine(engine)
    assert (result.before, result.after, result.legacy) == (None, head(), True)
    assert result.describe() == f"warehouse upgraded: legacy create_all schema, baseline stamped -> {head()}"
    assert_models_match(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(day_status.c.tenant, day_status.c.status)).all() == [("bistro", "posted")]


def test_a_sqlite_warehouse_made_by_create_all_keeps_its_rows_and_gets_the_baseline(tmp_path):
    _assert_legacy_upgraded(_legacy_warehouse(f"sqlite:///{tmp_path / 'old.db'}"))


def test_a_create_all_warehouse_missing_a_later_table_gets_it(tmp_path):
    """A warehouse made before a module declared its table (the Toporder activations were created
    on first use): the baseline creates what is missing."""
    engine = _legacy_warehouse(f"sqlite:///{tmp_path / 'old.db'}", without="toporder_activations")
    _assert_legacy_upgraded(engine)


@pytest.mark.postgres
def test_a_postgres_warehouse_made_by_create_all_keeps_its_rows_and_gets_the_baseline(postgres_url):
    engine = _legacy_warehouse(postgres_url)
    try:
        _assert_legacy_upgraded(engine)
    finally:
        engine.dispose()


def test_a_warehouse_migrated_by_a_newer_version_is_refused_clearly(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wh.db'}")
    upgrade_engine(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"))
    with pytest.raises(WarehouseSchemaError, match=r"revision '0099_from_the_future', which this version"):
        upgrade_engine(engine)


def test_the_migrations_form_one_line_from_the_baseline():
    """Two engineers adding a migration on the same parent would make two heads: the second must
    rebase its ``down_revision`` on the first (README "Warehouse schema and migrations")."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    assert [s.revision for s in scripts.walk_revisions()][-1] == BASELINE
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(script.revision), script.path


def _open_warehouse(url: str) -> None:
    Warehouse(url)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_opening_a_new_warehouse_at_once_migrate_it_once(backend, tmp_path, request):
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'wh.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_warehouse, args=(url,)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    engine = make_engine(url)
    try:
        assert_models_match(engine)
    finally:
        engine.dispose()


def test_db_upgrade_command(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert (first.exit_code, first.output) == (0, f"warehouse upgraded: empty -> {head()}\n")
    second = CliRunner().invoke(cli, ["db", "upgrade"])
    assert (second.exit_code, second.output) == (0, f"warehouse already at {head()}\n")


def test_db_upgrade_refuses_a_newer_warehouse_in_one_line(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    upgrade_engine(make_engine(url))
    with make_engine(url).begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"))
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the warehouse is at revision '0099_from_the_future'")
    assert result.output.count("\n") == 1


def test_the_migrations_ship_inside_the_built_package(tmp_path):
    """The package as setuptools builds it (not the checkout) upgrades a new warehouse."""
    build = tmp_path / "build"
    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                    "--build-lib", str(build)], cwd=REPO, check=True, capture_output=True)
    script = ("import resources.migrations as m, resources.warehouse as w; "
              f"print(m.__file__); print(w.upgrade('sqlite:///{tmp_path / 'wh.db'}').describe())")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(build)},
                         check=True, capture_output=True, text=True).stdout.splitlines()
    assert out == [str(build / "resources" / "migrations" / "__init__.py"), f"warehouse upgraded: empty -> {head()}"]
    assert (build / "resources" / "migrations" / "script.py.mako").exists()
