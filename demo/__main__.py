"""``python -m demo run [--days N]`` / ``python -m demo serve`` (see demo/__init__.py)."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from demo.environment import apply_env
from demo.seeding import start_emulators


def cmd_run(days: int) -> int:
    home = apply_env()
    from core.periods import period_keys
    from demo.report import check_pennylane, print_summary
    from demo.seeding import push_toporder_files
    from demo.stock import run_stock, stock_tenants
    from pipelines.inprocess import run_periods
    from resources.tenants import load_registry

    registry = load_registry()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    first = yesterday - timedelta(days=days - 1)
    with ExitStack() as stack:
        emulators = start_emulators(stack, home, first, yesterday)
        push_toporder_files(registry, first, yesterday)
        rows = []
        for tenant in registry.values():
            if not tenant.active:
                continue
            keys = period_keys(tenant, first, yesterday)
            print(f"== {tenant.slug} ({tenant.source.type}): {len(keys)} day(s)", flush=True)
            rows += run_periods(tenant, keys)
        print_summary(rows)
        ok = check_pennylane(emulators["pennylane"], registry, rows)
        for tenant in stock_tenants(registry):
            ok &= run_stock(tenant, yesterday)
    print(f"\nDagster instance: {home} — `make dev` shows these runs at http://127.0.0.1:3000")
    if not ok:
        print("DEMO CHECK FAILED (see PROBLEMS above)", file=sys.stderr)
    return 0 if ok else 1


def cmd_serve() -> int:
    home = apply_env()
    from demo.stock import record_receipts, seed_pennylane, stock_tenants
    from pipelines.definitions import build_resources
    from pipelines.stock.sync import StockSync
    from resources.stock.store import StockStore
    from resources.tenants import load_registry

    registry = load_registry()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    first = min((t.start_date for t in registry.values()), default=yesterday)
    first = max(first, yesterday - timedelta(days=90))
    with ExitStack() as stack:
        emulators = start_emulators(stack, home, first, yesterday)
        for name, srv in emulators.items():
            print(f"{name} emulator: {srv.url}", flush=True)
        # The stock tenants' Pennylane documents and goods receipts, for the stock sync of `make dev`.
        resources = build_resources()
        for tenant in stock_tenants(registry):
            client, store = resources["pennylane"].client_for(tenant), StockStore(resources["warehouse"].get())
            created = seed_pennylane(tenant, client, yesterday)
            StockSync(tenant, client, store).run()  # import the products before the receipts name them
            record_receipts(tenant, store, yesterday)
            print(f"stock scenario of {tenant.slug} in Pennylane: "
                  + ", ".join(f"{n} {k} created" for k, n in created.items()), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_env() -> int:
    """Shell ``export`` lines of the demo settings the environment does not set yet, so that
    ``make dev`` gives ``dagster dev`` the same credentials and inbox as ``demo serve``'s emulators:
    ``eval "$(python -m demo env)"``."""
    import os
    import shlex

    from demo.environment import DEMO_ENV

    before = set(os.environ)
    apply_env()
    for name in [*DEMO_ENV, "DAGSTER_HOME", "TOPORDER_INBOX_DIR"]:
        if name not in before:
            print(f"export {name}={shlex.quote(os.environ[name])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--days", type=int, default=14)
    sub.add_parser("serve")
    sub.add_parser("env")
    args = parser.parse_args(argv)
    if args.command == "env":
        return cmd_env()
    return cmd_run(args.days) if args.command == "run" else cmd_serve()


if __name__ == "__main__":
    sys.exit(main())
