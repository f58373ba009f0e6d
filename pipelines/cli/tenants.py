"""``pennylane-sync tenants list | validate``: the tenant registry."""

from __future__ import annotations

import click

from pipelines.cli.common import CliState
from resources.tenants import load_registry


@click.group()
def tenants() -> None:
    """List or validate the tenant registry (one YAML file per tenant)."""


@tenants.command("list")
@click.pass_obj
def list_tenants(state: CliState) -> None:
    """One line per tenant: slug, status, source, frequency, start date, SIRET, name."""
    registry = load_registry(state.tenants_dir)
    click.echo(f"{'slug':<24} {'status':<13} {'source':<12} {'freq':<8} {'start':<11} {'SIRET':<15} name")
    for t in registry.values():
        click.echo(f"{t.slug:<24} {t.status:<13} {t.source.type:<12} {t.frequency:<8} {t.start_date!s:<11} "
                   f"{t.siret:<15} {t.name}")


@tenants.command()
@click.pass_obj
def validate(state: CliState) -> None:
    """Load every tenant file; an invalid one is named with its field (exit 1)."""
    registry = load_registry(state.tenants_dir)
    click.echo(f"{len(registry)} tenant file(s) valid")
