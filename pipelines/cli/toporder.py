"""``pennylane-sync toporder activate TENANT``: the identifier to give to Toporder."""

from __future__ import annotations

import click

from pipelines.cli.common import Tenant, warehouse
from resources.sources.toporder.activation import activate as activate_tenant
from resources.tenants import TenantConfig


@click.group()
def toporder() -> None:
    """Toporder integration (closure files pushed to an inbox)."""


@toporder.command()
@click.argument("tenant", type=Tenant(source="toporder"))
def activate(tenant: TenantConfig) -> None:
    """Print the tenant's unique identifier (the same one on every call) on stdout; where its
    closure files go, on stderr."""
    act = activate_tenant(warehouse(), tenant)
    click.echo(act.identifier)
    click.echo(f"activated on {act.activated_on}; closure files go to {act.inbox_path}", err=True)
