"""``pennylane-sync`` — the command line of the data team.

    pennylane-sync tenants list | validate [--dir DIR]
    pennylane-sync sync TENANT --from 2026-11-01 [--to 2026-11-14]     in-process, no daemon
    pennylane-sync backfill TENANT [--from DATE] [--to DATE] [--url http://127.0.0.1:3000]
    pennylane-sync toporder activate TENANT
    pennylane-sync unmapped TENANT
    pennylane-sync stock import-now TENANT [--full]      the stock job for one tenant, now
    pennylane-sync stock levels TENANT [--day DATE]
    pennylane-sync stock receipts TENANT --csv FILE [--send]
    pennylane-sync stock send-receipt TENANT RECEIPT_ID
    pennylane-sync stock disconnect|reconnect TENANT
    pennylane-sync stock merge-flags TENANT

``sync`` runs each period through Dagster in this process, against the instance in
``$DAGSTER_HOME`` (so the runs show in the UI), prints one line per period and exits 1 if any
period failed. ``backfill`` asks a running webserver to launch a backfill (GraphQL
``launchPartitionBackfill``), which the daemon then runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core.statuses import DayStatus, StepStatus

EXIT_FAILED = 1
EXIT_USAGE = 2


def ensure_dagster_home() -> Path:
    """``$DAGSTER_HOME`` (default ``./.dagster_home``), created with a local ``dagster.yaml``."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path.cwd() / ".dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # the embedded default: SQLite storage under DAGSTER_HOME
        config.write_text("# Local instance (SQLite under this folder); production: deploy/dagster.yaml\n"
                          "telemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _registry(args):
    from resources.tenants import load_registry

    return load_registry(Path(args.dir) if getattr(args, "dir", None) else None)


def _tenant(args):
    from resources.tenants import get_tenant

    return get_tenant(args.tenant, Path(args.dir) if getattr(args, "dir", None) else None)


def cmd_tenants(args) -> int:
    from resources.tenants import TenantRegistryError

    try:
        registry = _registry(args)
    except TenantRegistryError as exc:
        print(f"invalid tenant file: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.action == "validate":
        print(f"{len(registry)} tenant file(s) valid")
        return 0
    print(f"{'slug':<24} {'status':<13} {'source':<12} {'freq':<8} {'start':<11} {'SIRET':<15} name")
    for t in registry.values():
        print(f"{t.slug:<24} {t.status:<13} {t.source.type:<12} {t.frequency:<8} {t.start_date!s:<11} "
              f"{t.siret:<15} {t.name}")
    return 0


def run_periods(tenant, keys: Sequence[str], *, instance=None, resources=None, out=None, ranged: bool = True,
                log_level: str = os.environ.get("PENNYLANE_SYNC_LOG_LEVEL", "WARNING")) -> list[dict]:
    """Materialize the sales assets for the tenant's period keys and return a row per period.

    ``ranged`` (default): one run for the whole range, as a backfill does (single-run backfill
    policy); otherwise one run per period, as the daily schedule does."""
    import dagster as dg

    from pipelines.definitions import build_resources
    from pipelines.partitions import TENANT_DIMENSION, partition_key
    from pipelines.sales.assets import sales_assets
    from pipelines.sales.automation import run_tags

    instance = instance or dg.DagsterInstance.get()
    resources = resources or build_resources()
    if not instance.has_dynamic_partition(TENANT_DIMENSION, tenant.slug):
        instance.add_dynamic_partitions(TENANT_DIMENSION, [tenant.slug])
    warehouse = resources["warehouse"].get()
    out = out or sys.stdout
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    batches = [list(keys)] if ranged and len(keys) > 1 else [[k] for k in keys]
    rows = []
    for batch in batches:
        tags = run_tags(tenant, "cli")
        if len(batch) > 1:
            tags |= {"dagster/asset_partition_range_start": str(partition_key(tenant.slug, batch[0])),
                     "dagster/asset_partition_range_end": str(partition_key(tenant.slug, batch[-1]))}
            kwargs = {}
        else:
            kwargs = {"partition_key": partition_key(tenant.slug, batch[0])}
        result = dg.materialize(sales_assets, instance=instance, resources=resources, tags=tags,
                                raise_on_error=False, run_config=run_config, **kwargs)
        for key in batch:
            row = summarize_day(result, warehouse, tenant.slug, key)
            rows.append(row)
            print(f"{tenant.slug} {key} {row['status']:<9} {row['detail']}", file=out, flush=True)
    return rows


def summarize_day(result, warehouse, slug: str, key: str) -> dict:
    """What became of one tenant-day in a run: its warehouse status, and the Pennylane entry."""
    from pipelines.partitions import partition_key

    status = warehouse.get_day_status(slug, key) or {}
    state = status.get("status", StepStatus.SKIPPED)  # no status: the run never reached the day
    detail = status.get("reason") or ""
    row = {"tenant": slug, "period": key, "status": state, "error_class": status.get("error_class"),
           "detail": detail, "run_id": result.run_id}
    if state == DayStatus.FAILED:
        return row
    wanted = str(partition_key(slug, key))
    for mat in result.asset_materializations_for_node("pennylane_entries"):
        if mat.partition == wanted:
            meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            if "pennylane_entry_id" in meta:
                row["detail"] = f"entry {meta['pennylane_entry_id']} ({meta.get('action')})"
            elif meta.get("status"):
                row["detail"] = str(meta["status"])
    return row


def cmd_sync(args) -> int:
    from core.periods import period_keys

    ensure_dagster_home()
    tenant = _tenant(args)
    end = args.to or (datetime.now(UTC).date() - timedelta(days=1))
    keys = period_keys(tenant, args.start, end)
    if not keys:
        print(f"no period of {tenant.slug} between {args.start} and {end} (start date {tenant.start_date})")
        return 0
    rows = run_periods(tenant, keys)
    failed = [r for r in rows if r["status"] == DayStatus.FAILED]
    print(f"{len(rows)} period(s): {len(rows) - len(failed)} ok, {len(failed)} failed")
    return EXIT_FAILED if failed else 0


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


def backfill_params(tenant, keys: Sequence[str]) -> dict:
    from pipelines.partitions import partition_key
    from pipelines.sales.assets import sales_assets
    from pipelines.sales.automation import run_tags

    return {
        "partitionNames": [str(partition_key(tenant.slug, k)) for k in keys],
        "assetSelection": [{"path": a.key.path} for a in sales_assets],
        "title": f"{tenant.slug} {keys[0]}..{keys[-1]}",
        "tags": [{"key": k, "value": v} for k, v in run_tags(tenant, "cli-backfill").items()],
    }


def cmd_backfill(args) -> int:
    import httpx

    from core.periods import period_keys

    tenant = _tenant(args)
    end = args.to or (datetime.now(UTC).date() - timedelta(days=1))
    keys = period_keys(tenant, args.start or tenant.start_date, end)
    if not keys:
        print("nothing to backfill")
        return 0
    resp = httpx.post(f"{args.url.rstrip('/')}/graphql", timeout=60, json={
        "query": BACKFILL_MUTATION, "variables": {"params": backfill_params(tenant, keys)}})
    resp.raise_for_status()
    payload = resp.json()
    result = (payload.get("data") or {}).get("launchPartitionBackfill") or {}
    if result.get("__typename") != "LaunchBackfillSuccess":
        print(f"backfill refused: {result or payload.get('errors')}", file=sys.stderr)
        return EXIT_FAILED
    print(f"backfill {result['backfillId']} launched: {tenant.slug}, {len(keys)} period(s) "
          f"{keys[0]} → {keys[-1]} ({args.url.rstrip('/')}/runs/b/{result['backfillId']})")
    return 0


def cmd_toporder(args) -> int:
    from resources.sources.toporder import activate
    from resources.warehouse import default_url, warehouse_for

    ensure_dagster_home()
    tenant = _tenant(args)
    if tenant.source.type != "toporder":
        print(f"tenant {tenant.slug} is not a Toporder tenant (source: {tenant.source.type})", file=sys.stderr)
        return EXIT_USAGE
    act = activate(warehouse_for(os.environ.get("WAREHOUSE_URL") or default_url()), tenant)
    print(act.identifier)
    print(f"activated on {act.activated_on}; closure files go to {act.inbox_path}", file=sys.stderr)
    return 0


def cmd_unmapped(args) -> int:
    from core.accounting.payment_methods import resolve_method
    from resources.warehouse import default_url, warehouse_for

    ensure_dagster_home()
    tenant = _tenant(args)
    wh = warehouse_for(os.environ.get("WAREHOUSE_URL") or default_url())
    seen = wh.seen_payment_methods(tenant.slug)
    unmapped = []
    how = {"default": "recognised default", "other": "UNKNOWN: other payment methods account"}
    for row in seen:
        resolved = resolve_method(row["method"], tenant.accounting)
        if resolved.origin != "tenant":
            unmapped.append((row["method"], resolved.account, how[resolved.origin], row["first_seen"],
                             row["last_seen"]))
    print(f"payment methods seen for {tenant.slug}: {len(seen)}; not mapped by exact name: {len(unmapped)}")
    for method, account, origin, first, last in unmapped:
        print(f"  {method!r:<30} → {account:<8} ({origin}; seen {first} … {last})")
    categories = wh.categories_seen(tenant.slug)
    mapped = tenant.accounting.sales_accounts_by_category
    missing = [c for c in categories if c and c not in mapped]
    if tenant.accounting.sales_by == "category":
        print(f"categories seen: {len(categories)}; without a sales account: {len(missing)}")
        for c in missing:
            print(f"  {c!r} → falls back to the VAT-rate mapping")
    return 0


def _stock_store():
    from resources.stock.store import StockStore
    from resources.warehouse import default_url, warehouse_for

    ensure_dagster_home()
    return StockStore(warehouse_for(os.environ.get("WAREHOUSE_URL") or default_url()))


def cmd_stock(args) -> int:
    tenant = _tenant(args)
    if not tenant.stock.enabled:
        print(f"stock is not enabled for {tenant.slug} (stock.enabled in its tenant file)", file=sys.stderr)
        return EXIT_USAGE
    store = _stock_store()
    from pipelines.stock import operations

    if args.action == "import-now":
        return _stock_import_now(tenant, full=args.full)
    if args.action == "levels":
        frame = operations.current_levels(store, tenant, args.day.isoformat() if args.day else None)
        print(frame.to_string(index=False) if len(frame) else "no stock yet")
        return 0
    if args.action in ("disconnect", "reconnect"):
        getattr(operations, args.action)(store, tenant.slug)
        print(f"{tenant.slug}: stock sync {args.action}ed")
        return 0
    if args.action == "merge-flags":
        flags = operations.merge_flags(store, tenant.slug)
        for f in flags:
            print(f)
        print(f"{len(flags)} product(s) flagged for merge")
        return 0
    from pipelines.stock.receipts import import_receipts_csv, send_receipt
    from resources.pennylane import PennylaneResource

    if args.action == "receipts":
        if not args.csv:
            print("--csv FILE is required", file=sys.stderr)
            return EXIT_USAGE
        ids = import_receipts_csv(store, tenant, args.csv)
        print(f"{len(ids)} receipt(s) recorded: {', '.join(ids)}")
        targets = ids if args.send else []
    else:  # send-receipt
        targets = [args.receipt_id]
    if targets:
        client = PennylaneResource().client_for(tenant)
        for rid in targets:
            print(f"receipt {rid} → Pennylane supplier invoice {send_receipt(store, tenant, client, rid)}")
    return 0


def _stock_import_now(tenant, *, full: bool) -> int:
    """Launch the stock job for one tenant, now, in-process (the UI's "import now")."""
    import dagster as dg

    from pipelines.definitions import build_resources
    from pipelines.partitions import TENANT_DIMENSION, partition_key
    from pipelines.stock.definitions import stock_assets
    from pipelines.stock.schedules import stock_partition_day

    instance = dg.DagsterInstance.get()
    if not instance.has_dynamic_partition(TENANT_DIMENSION, tenant.slug):
        instance.add_dynamic_partitions(TENANT_DIMENSION, [tenant.slug])
    day = stock_partition_day(tenant, datetime.now(UTC))
    tags = {"pennylane-sync/tenant": tenant.slug, "pennylane-sync/trigger": "cli-import-now"}
    if full:
        tags["pennylane-sync/full"] = "true"
    result = dg.materialize(stock_assets, partition_key=partition_key(tenant.slug, day), instance=instance,
                            resources=build_resources(), tags=tags, raise_on_error=False,
                            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    status = "ok" if result.success else "FAILED"
    print(f"{tenant.slug} stock import {status} (run {result.run_id}, partition {day})")
    return 0 if result.success else EXIT_FAILED


def _date(value: str) -> date:
    return date.fromisoformat(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pennylane-sync", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", help="tenants directory (default: $TENANTS_DIR or ./tenants)")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tenants", help="list or validate the tenant registry")
    t.add_argument("action", choices=["list", "validate"])
    t.set_defaults(func=cmd_tenants)

    s = sub.add_parser("sync", help="sync one tenant over a date range, in-process")
    s.add_argument("tenant")
    s.add_argument("--from", dest="start", type=_date, required=True)
    s.add_argument("--to", type=_date, help="last day (default: yesterday)")
    s.set_defaults(func=cmd_sync)

    b = sub.add_parser("backfill", help="launch a backfill through the webserver's GraphQL API")
    b.add_argument("tenant")
    b.add_argument("--from", dest="start", type=_date, help="default: the tenant's start date")
    b.add_argument("--to", type=_date, help="default: yesterday")
    b.add_argument("--url", default=os.environ.get("DAGSTER_WEBSERVER_URL", "http://127.0.0.1:3000"))
    b.set_defaults(func=cmd_backfill)

    o = sub.add_parser("toporder", help="Toporder integration")
    o.add_argument("action", choices=["activate"])
    o.add_argument("tenant")
    o.set_defaults(func=cmd_toporder)

    u = sub.add_parser("unmapped", help="payment methods and categories without an account")
    u.add_argument("tenant")
    u.set_defaults(func=cmd_unmapped)

    k = sub.add_parser("stock", help="stock kept in step with Pennylane")
    k.add_argument("action", choices=["import-now", "levels", "receipts", "send-receipt", "disconnect",
                                      "reconnect", "merge-flags"])
    k.add_argument("tenant")
    k.add_argument("receipt_id", nargs="?")
    k.add_argument("--full", action="store_true", help="import-now: re-list every document")
    k.add_argument("--day", type=_date, help="levels: end of this day (default: today)")
    k.add_argument("--csv", help="receipts: CSV file (receipt_id,date,supplier,sku,quantity,unit_cost[,vat_rate,location,name])")
    k.add_argument("--send", action="store_true", help="receipts: also send them to Pennylane")
    k.set_defaults(func=cmd_stock)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
