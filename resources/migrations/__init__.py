"""Alembic migrations of the warehouse, shipped inside the package.

:func:`upgrade_engine` brings a warehouse to the newest revision under a lock (a Postgres advisory
lock; on SQLite an exclusive lock on a file beside the database), so two processes opening a new
warehouse at once migrate it once. A database made by the former ``create_all`` (tables, no
version table) is recognised: the baseline creates only the tables it lacks and is recorded.

The revision table is ``warehouse_alembic_version``: the Dagster instance may live in the same
Postgres database and keeps its own ``alembic_version`` there.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "warehouse_alembic_version"
BASELINE = "0001_baseline"
# A table every create_all-made warehouse has: with it and no version table, the database is legacy.
LEGACY_MARKER = "day_status"
_PG_LOCK_KEY = 0x70_6C_73_79_6E_63  # "plsync": the advisory lock held while migrating


class WarehouseSchemaError(RuntimeError):
    """The warehouse is at a revision this code does not know (a newer deployment migrated it)."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None
    after: str
    legacy: bool  # made by the former create_all: baseline stamped on its existing tables

    def describe(self) -> str:
        if self.before == self.after:
            return f"warehouse already at {self.after}"
        origin = "legacy create_all schema, baseline stamped" if self.legacy else (self.before or "empty")
        return f"warehouse upgraded: {origin} -> {self.after}"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade_engine(engine: sa.Engine) -> Upgrade:
    """Migrate the warehouse behind ``engine`` to :func:`head`, once, whoever else is trying."""
    target = head()
    with migration_lock(engine) as conn:
        before = current(conn)
        conn.commit()
        if before == target:
            return Upgrade(before, target, legacy=False)
        scripts = ScriptDirectory.from_config(alembic_config())
        if before is not None and before not in {s.revision for s in scripts.walk_revisions()}:
            raise WarehouseSchemaError(
                f"the warehouse is at revision {before!r}, which this version of pennylane-sync does not "
                f"know (its newest is {target!r}): a newer version migrated it; deploy that version")
        legacy = before is None and sa.inspect(conn).has_table(LEGACY_MARKER)
        conn.commit()
        command.upgrade(alembic_config(conn), "head")
        conn.commit()
        result = Upgrade(before, target, legacy=legacy)
        log.info("%s", result.describe())
        return result


@contextmanager
def migration_lock(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection held under the warehouse's migration lock."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        with engine.connect() as conn:
            yield conn
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
