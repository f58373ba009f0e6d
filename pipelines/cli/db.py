"""``pennylane-sync db upgrade``: migrate the warehouse to this version's newest schema revision.

Opening a warehouse (a run, a sensor, a CLI command) upgrades it too; this command is the
deployment step that does it before anything runs (``make demo`` and ``make dev`` call it).
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from pipelines.cli.common import CommandFailed
from pipelines.inprocess import ensure_dagster_home
from resources.migrations import WarehouseSchemaError
from resources.warehouse import default_url
from resources.warehouse import upgrade as upgrade_warehouse


@click.group()
def db() -> None:
    """The warehouse's schema (Alembic migrations shipped with the package)."""


@db.command()
def upgrade() -> None:
    """Upgrade the warehouse of $WAREHOUSE_URL (default: SQLite under $DAGSTER_HOME) to the newest
    revision. Safe to run again, and at the same time as a run (one process migrates, under a lock)."""
    ensure_dagster_home()
    try:
        result = upgrade_warehouse(default_url())
    except WarehouseSchemaError as exc:
        raise CommandFailed(str(exc)) from exc
    except sa.exc.OperationalError as exc:  # the message names host and database, never the password
        raise CommandFailed(f"cannot reach the warehouse: {exc.orig}") from exc
    click.echo(result.describe())
