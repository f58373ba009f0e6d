"""``pennylane-sync export fec --tenant T --year 2026``: the FEC of the entries this system posted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from core.accounting.fec import FecError, fec_filename, write_fec
from pipelines.cli.common import TENANT, CommandFailed, ISODate, warehouse
from resources.books import fec_entries
from resources.pennylane import PennylaneResource
from resources.tenants import TenantConfig


@click.group()
def export() -> None:
    """Exports for the accountant and the tax audit."""


@export.command()
@click.option("--tenant", "tenant", type=TENANT, required=True, help="Tenant slug.")
@click.option("--year", type=click.IntRange(2000, 2100), help="Calendar fiscal year (1 Jan to 31 Dec).")
@click.option("--from", "start", type=ISODate(), help="First day (with --to, for a fiscal year that is "
              "not the calendar year).")
@click.option("--to", "end", type=ISODate(), help="Last day, the fiscal year's closing date.")
@click.option("--separator", type=click.Choice(["pipe", "tab"]), default="pipe", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory of the file <SIREN>FEC<closing date>.txt.")
def fec(tenant: TenantConfig, year: int | None, start: date | None, end: date | None, separator: str,
        out_dir: Path) -> None:
    """The entries this system posted to TENANT's sales journal, as Pennylane holds them, in the
    FEC layout of article A47 A-1 of the LPF (18 columns, ISO 8859-15)."""
    if year is not None and (start or end):
        raise click.UsageError("give --year, or --from and --to, not both")
    if year is not None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None or end < start:
        raise click.UsageError("give --year, or --from and --to with --to on or after --from")
    client = PennylaneResource().client_for(tenant)
    entries = fec_entries(client, warehouse(), tenant, start, end)
    try:
        content = write_fec(entries, "|" if separator == "pipe" else "\t")
    except FecError as exc:
        raise CommandFailed(f"{tenant.slug}: {exc}") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / fec_filename(tenant.siren, end)
    path.write_bytes(content)
    lines = sum(len(e.lines) for e in entries)
    click.echo(f"{path}: {len(entries)} entries, {lines} lines, {start.isoformat()} … {end.isoformat()}")
