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
    from demo.report import check_pennylane, print_summary
    from demo.seeding import push_toporder_files
    from pipelines.cli import run_periods
    from pipelines.partitions import period_keys
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
    print(f"\nDagster instance: {home} — `make dev` shows these runs at http://127.0.0.1:3000")
    return 0 if ok else 1


def cmd_serve() -> int:
    home = apply_env()
    from resources.tenants import load_registry

    registry = load_registry()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    first = min((t.start_date for t in registry.values()), default=yesterday)
    first = max(first, yesterday - timedelta(days=90))
    with ExitStack() as stack:
        emulators = start_emulators(stack, home, first, yesterday)
        for name, srv in emulators.items():
            print(f"{name} emulator: {srv.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--days", type=int, default=14)
    sub.add_parser("serve")
    args = parser.parse_args(argv)
    return cmd_run(args.days) if args.command == "run" else cmd_serve()


if __name__ == "__main__":
    sys.exit(main())
