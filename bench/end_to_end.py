"""Benchmark: tenant-days per minute end to end, through Dagster in-process and without it.

The Pennylane and Chift emulators run on 127.0.0.1 over real sockets (uvicorn threads, the
real Pennylane limit of 25 requests / 5 s per company token). ``N`` Chift tenants (generator
profiles in rotation) each get ``M`` generated days. Every tenant-day goes

    Chift → daily_sales → journal_lines (+ blocking checks) → pennylane_entries → Pennylane

three times, on three separate sets of tenants (own Chift consumer, own Pennylane company, own
warehouse), so that neither run finds the other's entries already posted:

1. through Dagster, one run per tenant-day (what the daily schedule launches):
   :func:`pipelines.inprocess.run_periods` with ``ranged=False`` on a DagsterInstance in a temporary
   ``DAGSTER_HOME``;
2. through Dagster, one run per tenant for its whole date range (what a backfill launches, with
   the single-run backfill policy; also ``pennylane-sync sync``): ``run_periods(ranged=True)``;
3. without Dagster: :func:`pipelines.sales.steps.run_period`, the same three steps.

The difference is the orchestration overhead (run storage, event log, step launching).
A warm-up tenant-day on each path (imports, instance and schema creation) is not measured.
Every run must end posted, and Pennylane must hold exactly one entry per tenant-day.

    .venv/bin/python -m bench.end_to_end [--tenants 6] [--days 5] [--quick]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from bench import OSS_COUNTRIES, PROFILES, Figures, RssSampler, Stopwatch, bench_tenant_doc
from core.statuses import DayStatus, PeriodOutcome

FIRST_DAY = date(2026, 11, 2)
FULL = {"tenants": 6, "days": 5}
QUICK = {"tenants": 2, "days": 2}
CHIFT_ENV = {"CHIFT_CLIENT_ID": "bench-chift-client", "CHIFT_CLIENT_SECRET": "bench-chift-secret",
             "CHIFT_ACCOUNT_ID": "6c1f0d9e-7b1a-4d2e-9a51-3f2d8e0c4b11"}


@dataclass
class BenchWorld:
    """Emulators on real sockets, a tenant registry directory, and per-path warehouses."""

    work: Path
    registry_dir: Path
    pennylane_app: object
    pennylane_url: str
    chift: object
    chift_url: str

    def add_tenant(self, slug: str, profile: str, index: int, days: list[date]) -> str:
        """A Chift tenant with ``days`` of generated sales and its own Pennylane company;
        returns its Pennylane token."""
        from emulators.generator import generate_day

        doc = bench_tenant_doc(slug, profile, index=index, start_date=days[0].isoformat())
        doc["source"]["base_url"] = self.chift_url
        consumer = doc["source"]["settings"]["consumer_id"]
        doc["pennylane"] = {**doc["pennylane"], "base_url": self.pennylane_url + "/api/external/v2"}
        token = f"tok-{slug}-{uuid.uuid4().hex[:8]}"
        os.environ[doc["pennylane"]["token_env"]] = token
        (self.registry_dir / f"{slug}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.pennylane_app.store.register_company(token, doc["name"], reg_no=doc["siret"][:9])
        self.chift.add_consumer(consumer, doc["name"])
        # the profile's seed is the tenant's index, so both paths map the very same days
        for day in days:
            self.chift.add_day(consumer, generate_day(profile, day, seed=index, timezone="Europe/Paris",
                                                      countries=OSS_COUNTRIES.get(profile)))
        return token

    def entries_received(self, token: str) -> int:
        store = self.pennylane_app.store
        return len(store.all("ledger_entry", store.company_for_token(token)["id"]))


def _start(stack: ExitStack, work: Path) -> BenchWorld:
    from emulators.chift import ChiftEmulatorState
    from emulators.chift import create_app as create_chift_app
    from emulators.pennylane import create_app as create_pennylane_app
    from emulators.server import serve

    for k, v in CHIFT_ENV.items():
        os.environ[k] = v
    os.environ.pop("PENNYLANE_BASE_URL", None)
    registry = work / "tenants"
    registry.mkdir()
    pl_app = create_pennylane_app(work / "pennylane.db")  # real limit: 25 requests / 5 s per token
    chift = ChiftEmulatorState(client_id=CHIFT_ENV["CHIFT_CLIENT_ID"], client_secret=CHIFT_ENV["CHIFT_CLIENT_SECRET"],
                               account_id=CHIFT_ENV["CHIFT_ACCOUNT_ID"])
    pl = stack.enter_context(serve(pl_app))
    ch = stack.enter_context(serve(create_chift_app(chift)))
    return BenchWorld(work, registry, pl_app, pl.url, chift, ch.url)


def _warehouse(work: Path, name: str):
    from resources.warehouse import Warehouse

    wh = Warehouse(url=f"sqlite:///{work / name}")
    return wh


def run(n_tenants: int = FULL["tenants"], n_days: int = FULL["days"]) -> Figures:
    import dagster as dg

    from pipelines.inprocess import run_periods
    from pipelines.sales.steps import run_period
    from resources.pennylane import PennylaneResource
    from resources.tenants import TenantRegistryResource, get_tenant
    from resources.warehouse import WarehouseResource

    figs = Figures("end_to_end")
    days = [FIRST_DAY + timedelta(days=i) for i in range(n_days)]
    keys = [d.isoformat() for d in days]
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    saved_env = dict(os.environ)
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    (work / "dagster_home").mkdir()
    (work / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    try:
        with ExitStack() as stack:
            world = _start(stack, work)
            plan = [(PROFILES[i % len(PROFILES)], i) for i in range(n_tenants)]
            tokens: dict[str, str] = {}
            with Stopwatch() as seed_sw:
                for path in ("dg", "rg", "core"):
                    tokens[f"warmup-{path}"] = world.add_tenant(f"warmup-{path}", "restaurant", 99, days[:1])
                    for profile, i in plan:
                        slug = f"{path}-{profile}-{i:02d}"
                        tokens[slug] = world.add_tenant(slug, profile, i, days)
            print(f"emulators on {world.pennylane_url} (Pennylane) and {world.chift_url} (Chift); "
                  f"{2 * n_tenants} tenants × {n_days} days seeded in {seed_sw.seconds:.1f} s (not measured)",
                  flush=True)

            # 1. Dagster in-process, one materialize run per tenant-day
            instance = dg.DagsterInstance.get()
            dg_wh = _warehouse(work, "warehouse-dagster.db")
            resources = {"warehouse": WarehouseResource(url=dg_wh.url),
                         "tenants": TenantRegistryResource(directory=str(world.registry_dir)),
                         "pennylane": PennylaneResource()}
            quiet = io.StringIO()
            run_periods(get_tenant("warmup-dg", world.registry_dir), keys[:1], instance=instance,
                        resources=resources, out=quiet)
            rows = []
            throttled0 = world.pennylane_app.stats["throttled"]
            with Stopwatch() as dg_sw, RssSampler() as dg_mem:
                for profile, i in plan:
                    tenant = get_tenant(f"dg-{profile}-{i:02d}", world.registry_dir)
                    rows += run_periods(tenant, keys, instance=instance, resources=resources, out=quiet,
                                        ranged=False)
            # 2. Dagster in-process, one run per tenant for the whole range
            run_periods(get_tenant("warmup-rg", world.registry_dir), keys[:1], instance=instance,
                        resources=resources, out=quiet)
            with Stopwatch() as rg_sw:
                for profile, i in plan:
                    tenant = get_tenant(f"rg-{profile}-{i:02d}", world.registry_dir)
                    rows += run_periods(tenant, keys, instance=instance, resources=resources, out=quiet,
                                        ranged=True)
            dg_throttled = world.pennylane_app.stats["throttled"] - throttled0
            dg_bad = [r for r in rows if r["status"] != DayStatus.POSTED]

            # 3. the same steps without Dagster
            core_wh = _warehouse(work, "warehouse-core.db")
            pennylane = PennylaneResource()

            def core_run(slug: str, key: str):
                tenant = get_tenant(slug, world.registry_dir)
                return run_period(tenant, key, warehouse=core_wh, pennylane_client=pennylane.client_for(tenant))

            core_run("warmup-core", keys[0])
            results = []
            throttled0 = world.pennylane_app.stats["throttled"]
            with Stopwatch() as core_sw, RssSampler() as core_mem:
                for profile, i in plan:
                    for key in keys:
                        results.append(core_run(f"core-{profile}-{i:02d}", key))
            core_throttled = world.pennylane_app.stats["throttled"] - throttled0
            core_bad = [r for r in results if r.status != PeriodOutcome.POSTED]

            entries = {slug: world.entries_received(tok) for slug, tok in tokens.items()
                       if not slug.startswith("warmup")}
            wrong_counts = {s: n for s, n in entries.items() if n != n_days}
            dagster_runs = len(instance.get_run_records())
            instance.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(work, ignore_errors=True)

    for what, bad in (("Dagster", [f"{r['tenant']} {r['period']}: {r['status']} {r['detail']}" for r in dg_bad]),
                      ("core", [f"{r.tenant} {r.period}: {r.status} {r.message}" for r in core_bad])):
        if bad:
            print(f"{what} path: {len(bad)} tenant-day(s) not posted:\n  " + "\n  ".join(bad[:10]), flush=True)
    if wrong_counts:
        print(f"Pennylane entry counts off (expected {n_days} each): {wrong_counts}", flush=True)

    n = n_tenants * n_days
    dg_rate, core_rate = n / dg_sw.seconds * 60, n / core_sw.seconds * 60
    rg_rate, rg_per = n / rg_sw.seconds * 60, rg_sw.seconds / n
    dg_per, core_per = dg_sw.seconds / n, core_sw.seconds / n
    print(f"Dagster in-process: {n} tenant-days in {dg_sw.seconds:.1f} s = {dg_rate:.1f} tenant-days/min "
          f"({dg_per:.2f} s each; {dagster_runs} runs in the instance; {dg_throttled} × 429)", flush=True)
    print(f"Dagster, ranged   : {n} tenant-days in {rg_sw.seconds:.1f} s = {rg_rate:.1f} tenant-days/min "
          f"({rg_per:.2f} s each; one run per tenant for {n_days} days)", flush=True)
    print(f"core.run_period   : {n} tenant-days in {core_sw.seconds:.1f} s = {core_rate:.1f} tenant-days/min "
          f"({core_per:.2f} s each; {core_throttled} × 429)", flush=True)
    print(f"orchestration overhead: {dg_per - core_per:.2f} s per tenant-day ({dg_per / core_per:.1f}× the steps alone)",
          flush=True)

    figs.add("tenant-days", n, "tenant-days", f"{n_tenants} tenants × {n_days} days, sequential, per path")
    figs.add("Dagster in-process, one run per day", dg_rate, "tenant-days/min", "the daily schedule's runs")
    figs.add("Dagster in-process per tenant-day", dg_per, "s")
    figs.add("Dagster in-process, one run per tenant range", rg_rate, "tenant-days/min", "backfills, CLI sync")
    figs.add("Dagster ranged per tenant-day", rg_per, "s")
    figs.add("without Dagster (core.run_period)", core_rate, "tenant-days/min")
    figs.add("without Dagster per tenant-day", core_per, "s")
    figs.add("orchestration overhead per tenant-day", dg_per - core_per, "s",
             f"{dg_per / core_per:.1f}× the steps alone")
    figs.add("peak RSS growth (Dagster path)", dg_mem.growth_bytes / (1024 * 1024), "MiB")
    figs.add("peak RSS growth (core path)", core_mem.growth_bytes / (1024 * 1024), "MiB")
    figs.add("Pennylane 429 responses", dg_throttled + core_throttled, "", "real 25 req / 5 s per token")
    figs.add("tenant-days not posted", len(dg_bad) + len(core_bad) + len(wrong_counts), "",
             "must be 0 (and one Pennylane entry per tenant-day)")
    return figs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.end_to_end", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK['tenants']} tenants × {QUICK['days']} days")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--days", type=int)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    figs = run(args.tenants or size["tenants"], args.days or size["days"])
    figs.print()
    return 0 if figs.get("tenant-days not posted") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
