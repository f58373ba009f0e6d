"""``pennylane-sync stock …``: the stock side of one tenant (stock.enabled in its tenant file)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from pipelines.cli.common import EXIT_FAILED, ISO_DATE, Tenant, warehouse
from pipelines.inprocess import import_stock_now
from pipelines.stock import operations
from pipelines.stock.receipts import import_receipts_csv
from pipelines.stock.supplier_invoices import send_receipt
from resources.pennylane import PennylaneResource
from resources.stock.store import StockStore
from resources.tenants import TenantConfig

STOCK_TENANT = Tenant(needs_stock=True)


def _store() -> StockStore:
    return StockStore(warehouse())


@click.group()
def stock() -> None:
    """Stock kept in step with Pennylane (a tenant without stock enabled is a usage error)."""


@stock.command("import-now")
@click.argument("tenant", type=STOCK_TENANT)
@click.option("--full", is_flag=True, help="Re-list every document instead of reading the changelogs.")
@click.pass_context
def import_now(ctx: click.Context, tenant: TenantConfig, full: bool) -> None:
    """Run the stock job of TENANT now, in this process (the UI's "import now"); exit 1 if it failed."""
    result = import_stock_now(tenant, trigger="cli-import-now", full=full)
    day = result.dagster_run.tags.get("dagster/partition/date")
    click.echo(f"{tenant.slug} stock import {'ok' if result.success else 'FAILED'} "
               f"(run {result.run_id}, partition {day})")
    if not result.success:
        ctx.exit(EXIT_FAILED)


@stock.command()
@click.argument("tenant", type=STOCK_TENANT)
@click.option("--day", type=ISO_DATE, help="Levels at the end of this day (default: the tenant's today).")
def levels(tenant: TenantConfig, day: date | None) -> None:
    """Stock per product and location: on hand, reserved, available."""
    frame = operations.current_levels(_store(), tenant, day.isoformat() if day else None)
    click.echo(frame.to_string(index=False) if len(frame) else "no stock yet")


@stock.command()
@click.argument("tenant", type=STOCK_TENANT)
@click.option("--csv", "csv_file", required=True, help="receipt_id,date,supplier,sku,quantity,unit_cost"
              "[,vat_rate,location,name]; comma or semicolon separated, one row per line.",
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--send", is_flag=True, help="Also send them to Pennylane as supplier invoices.")
def receipts(tenant: TenantConfig, csv_file: Path, send: bool) -> None:
    """Record the goods receipts of a CSV file (importing the same file again changes nothing)."""
    store = _store()
    ids = import_receipts_csv(store, tenant, csv_file)
    click.echo(f"{len(ids)} receipt(s) recorded: {', '.join(ids)}")
    if send:
        _send(store, tenant, ids)


@stock.command("send-receipt")
@click.argument("tenant", type=STOCK_TENANT)
@click.argument("receipt_id")
def send_receipt_command(tenant: TenantConfig, receipt_id: str) -> None:
    """Send one goods receipt to Pennylane as a supplier invoice, with its PDF (exactly once)."""
    _send(_store(), tenant, [receipt_id])


def _send(store: StockStore, tenant: TenantConfig, receipt_ids: list[str]) -> None:
    client = PennylaneResource().client_for(tenant)
    for rid in receipt_ids:
        invoice_id = send_receipt(store, tenant, client, rid)
        if invoice_id is None:
            click.echo(f"receipt {rid} → Pennylane already had it (same file): marked as sent")
        else:
            click.echo(f"receipt {rid} → Pennylane supplier invoice {invoice_id}")


@stock.command()
@click.argument("tenant", type=STOCK_TENANT)
def disconnect(tenant: TenantConfig) -> None:
    """Stop syncing TENANT with Pennylane; everything is kept (cursors, documents, ledger)."""
    operations.disconnect(_store(), tenant.slug)
    click.echo(f"{tenant.slug}: stock sync disconnected")


@stock.command()
@click.argument("tenant", type=STOCK_TENANT)
def reconnect(tenant: TenantConfig) -> None:
    """Resume syncing TENANT from the stored changelog cursors."""
    operations.reconnect(_store(), tenant.slug)
    click.echo(f"{tenant.slug}: stock sync reconnected")


@stock.command("merge-flags")
@click.argument("tenant", type=STOCK_TENANT)
def merge_flags(tenant: TenantConfig) -> None:
    """Products flagged as probable duplicates (a Pennylane id changed), waiting for a merge."""
    flags = operations.merge_flags(_store(), tenant.slug)
    for p in flags:
        click.echo(f"product {p['id']} {p['name']!r} (SKU {p['sku']}, Pennylane {p['pennylane_id']}) "
                   f"→ probably product {p['merge_of']}")
    click.echo(f"{len(flags)} product(s) flagged for merge")
