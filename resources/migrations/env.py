"""Alembic environment of the warehouse (run by :func:`resources.migrations.upgrade`).

The connection is handed over by the caller (``config.attributes["connection"]``), already
holding the migration lock. Only the warehouse's own tables are compared: the Dagster instance
may share the database (its tables and its ``alembic_version`` are not ours)."""

from __future__ import annotations

from alembic import context

from resources.migrations import VERSION_TABLE
from resources.migrations.models import METADATA


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table":
        return name in METADATA.tables
    table = getattr(obj, "table", None)
    return table is None or table.name in METADATA.tables


def run() -> None:
    conn = context.config.attributes["connection"]
    context.configure(
        connection=conn,
        target_metadata=METADATA,
        version_table=VERSION_TABLE,
        include_object=_ours,
        render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
