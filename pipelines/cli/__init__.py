"""``pennylane-sync``: the data team's command line (click), one module per command group.

    pennylane-sync db upgrade                                          migrate the warehouse
    pennylane-sync [--dir DIR] tenants list | validate
    pennylane-sync sync TENANT --from 2026-11-01 [--to 2026-11-14]     in-process, no daemon
    pennylane-sync backfill TENANT [--from DATE] [--to DATE] [--url http://127.0.0.1:3000]
    pennylane-sync toporder activate TENANT
    pennylane-sync unmapped TENANT
    pennylane-sync export fec --tenant TENANT --year 2026 [--out DIR]
    pennylane-sync stock import-now TENANT [--full]
    pennylane-sync stock levels TENANT [--day DATE]
    pennylane-sync stock receipts TENANT --csv FILE [--send]
    pennylane-sync stock send-receipt TENANT RECEIPT_ID
    pennylane-sync stock disconnect | reconnect | merge-flags TENANT

Exit codes are in :mod:`pipelines.cli.common`.
"""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.cli.common import ClassifiedErrorsGroup, CliState
from pipelines.cli.db import db
from pipelines.cli.export import export
from pipelines.cli.sales import backfill, sync
from pipelines.cli.stock import stock
from pipelines.cli.tenants import tenants
from pipelines.cli.toporder import toporder
from pipelines.cli.unmapped import unmapped


@click.group(name="pennylane-sync", cls=ClassifiedErrorsGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--dir", "tenants_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Tenants directory (default: $TENANTS_DIR, else ./tenants).")
@click.pass_context
def cli(ctx: click.Context, tenants_dir: Path | None) -> None:
    """Keep French businesses' books and stock in step with their tills and web shops through
    Pennylane.

    Exit codes: 0 done; 1 failed (a period or run failed, or an error naming the tenant, day,
    record and field); 2 wrong usage."""
    ctx.obj = CliState(tenants_dir)


for command in (db, tenants, sync, backfill, toporder, unmapped, stock, export):
    cli.add_command(command)
