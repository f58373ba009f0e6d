"""``pennylane-sync unmapped TENANT``: what the accountant still has to map."""

from __future__ import annotations

import click

from core.accounting.payment_methods import resolve_method
from pipelines.cli.common import TENANT, warehouse
from resources.tenants import TenantConfig

HOW = {"default": "recognised default", "other": "UNKNOWN: other payment methods account"}


@click.command()
@click.argument("tenant", type=TENANT)
def unmapped(tenant: TenantConfig) -> None:
    """Payment methods seen without an exact mapping (and the account they fall back to), and
    categories without a sales account when sales are booked by category."""
    wh = warehouse()
    seen = wh.seen_payment_methods(tenant.slug)
    rows = []
    for row in seen:
        resolved = resolve_method(row["method"], tenant.accounting)
        if resolved.origin != "tenant":
            rows.append((row["method"], resolved.account, HOW[resolved.origin], row["first_seen"], row["last_seen"]))
    click.echo(f"payment methods seen for {tenant.slug}: {len(seen)}; not mapped by exact name: {len(rows)}")
    for method, account, origin, first, last in rows:
        click.echo(f"  {method!r:<30} → {account:<8} ({origin}; seen {first} … {last})")
    if tenant.accounting.sales_by == "category":
        categories = wh.categories_seen(tenant.slug)
        missing = [c for c in categories if c and c not in tenant.accounting.sales_accounts_by_category]
        click.echo(f"categories seen: {len(categories)}; without a sales account: {len(missing)}")
        for c in missing:
            click.echo(f"  {c!r} → falls back to the VAT-rate mapping")
