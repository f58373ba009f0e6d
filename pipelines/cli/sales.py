"""``pennylane-sync sync`` (in this process) and ``backfill`` (through a running webserver)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import click
import httpx

from core.periods import period_keys
from core.statuses import DayStatus
from pipelines.cli.common import EXIT_FAILED, ISO_DATE, TENANT, CommandFailed, yesterday
from pipelines.inprocess import run_periods
from pipelines.partitions import partition_key
from pipelines.sales.assets import sales_assets
from pipelines.sales.automation import run_tags
from resources.tenants import TenantConfig

BACKFILL_MUTATION = """
mutation LaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on UnauthorizedError { message }
  }
}
"""


@click.command()
@click.argument("tenant", type=TENANT)
@click.option("--from", "start", type=ISO_DATE, required=True, help="First day.")
@click.option("--to", "end", type=ISO_DATE, help="Last day (default: yesterday).")
@click.pass_context
def sync(ctx: click.Context, tenant: TenantConfig, start: date, end: date | None) -> None:
    """Sync TENANT over a date range, in this process (no daemon).

    One run for the range against the instance in $DAGSTER_HOME (it shows in the UI); one line
    per period (posted, waiting, failed with its reason); exit 1 if any period failed."""
    end = end or yesterday()
    keys = period_keys(tenant, start, end)
    if not keys:
        click.echo(f"no period of {tenant.slug} between {start} and {end} (start date {tenant.start_date})")
        return
    rows = run_periods(tenant, keys)
    failed = [r for r in rows if r["status"] == DayStatus.FAILED]
    click.echo(f"{len(rows)} period(s): {len(rows) - len(failed)} ok, {len(failed)} failed")
    if failed:
        ctx.exit(EXIT_FAILED)


def backfill_params(tenant: TenantConfig, keys: Sequence[str]) -> dict:
    """``LaunchBackfillParams`` for the sales assets over the tenant's period keys."""
    return {
        "partitionNames": [str(partition_key(tenant.slug, k)) for k in keys],
        "assetSelection": [{"path": a.key.path} for a in sales_assets],
        "title": f"{tenant.slug} {keys[0]}..{keys[-1]}",
        "tags": [{"key": k, "value": v} for k, v in run_tags(tenant, "cli-backfill").items()],
    }


@click.command()
@click.argument("tenant", type=TENANT)
@click.option("--from", "start", type=ISO_DATE, help="First day (default: the tenant's start date).")
@click.option("--to", "end", type=ISO_DATE, help="Last day (default: yesterday).")
@click.option("--url", envvar="DAGSTER_WEBSERVER_URL", default="http://127.0.0.1:3000", show_default=True,
              help="The Dagster webserver (env: DAGSTER_WEBSERVER_URL).")
def backfill(tenant: TenantConfig, start: date | None, end: date | None, url: str) -> None:
    """Launch a backfill of TENANT through the webserver's GraphQL API; the daemon runs it."""
    keys = period_keys(tenant, start or tenant.start_date, end or yesterday())
    if not keys:
        click.echo("nothing to backfill")
        return
    base = url.rstrip("/")
    try:
        resp = httpx.post(f"{base}/graphql", timeout=60, json={
            "query": BACKFILL_MUTATION, "variables": {"params": backfill_params(tenant, keys)}})
    except httpx.TransportError as exc:
        raise CommandFailed(f"[transient] the Dagster webserver at {base} cannot be reached: {exc}") from exc
    if resp.status_code != 200:
        raise CommandFailed(f"the Dagster webserver at {base} answered {resp.status_code}: {resp.text[:300]}")
    payload = resp.json()
    result = (payload.get("data") or {}).get("launchPartitionBackfill") or {}
    if result.get("__typename") != "LaunchBackfillSuccess":
        raise CommandFailed(f"backfill refused: {result or payload.get('errors')}")
    click.echo(f"backfill {result['backfillId']} launched: {tenant.slug}, {len(keys)} period(s) "
               f"{keys[0]} → {keys[-1]} ({base}/runs/b/{result['backfillId']})")
