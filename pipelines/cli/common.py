"""What the commands share: the tenant argument, dates, the warehouse, and how a command ends.

Exit codes: 0 done; 1 failed (a period or run failed, or a classified error: one line on stderr,
no traceback); 2 usage (a wrong option or argument, e.g. a tenant without stock for a stock
command). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from core.errors import SyncError
from pipelines.inprocess import ensure_dagster_home
from resources.tenants import TenantConfig, TenantRegistryError, get_tenant
from resources.warehouse import Warehouse, default_url, warehouse_for

EXIT_FAILED = 1


@dataclass(frozen=True)
class CliState:
    """Options of the root command, for the sub-commands (``ctx.obj``)."""

    tenants_dir: Path | None = None


class CommandFailed(click.ClickException):
    """Ends a command with ``Error: <one line>`` on stderr and exit code 1."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str):
        super().__init__("; ".join(line.strip() for line in str(message).splitlines() if line.strip()))


class ClassifiedErrorsGroup(click.Group):
    """The root group: a classified error (source, mapping, transient: ``core.errors``) or an
    invalid tenant registry ends any command with one line and exit 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SyncError as exc:
            raise CommandFailed(str(exc)) from exc
        except TenantRegistryError as exc:
            raise CommandFailed(f"tenant registry: {exc}") from exc


class ISODate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class Tenant(click.ParamType):
    """A tenant slug → its :class:`TenantConfig`, from ``--dir`` (default ``$TENANTS_DIR``).

    ``needs_stock`` / ``source``: a tenant without stock enabled, or of another source, is a
    usage error (exit 2)."""

    name = "TENANT"

    def __init__(self, *, needs_stock: bool = False, source: str | None = None):
        self.needs_stock = needs_stock
        self.source = source

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> TenantConfig:
        if isinstance(value, TenantConfig):
            return value
        state = ctx.find_object(CliState) if ctx else None
        tenant = get_tenant(str(value), state.tenants_dir if state else None)
        if self.needs_stock and not tenant.stock.enabled:
            self.fail(f"stock is not enabled for {tenant.slug} (stock.enabled in its tenant file)", param, ctx)
        if self.source and tenant.source.type != self.source:
            self.fail(f"tenant {tenant.slug} is not a {self.source.capitalize()} tenant "
                      f"(source: {tenant.source.type})", param, ctx)
        return tenant


ISO_DATE = ISODate()
TENANT = Tenant()


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def warehouse() -> Warehouse:
    """The warehouse of ``$WAREHOUSE_URL`` (default: SQLite under ``$DAGSTER_HOME``)."""
    ensure_dagster_home()
    return warehouse_for(default_url())
