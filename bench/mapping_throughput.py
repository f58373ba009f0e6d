"""Benchmark: mapping throughput on generated days of many tenants.

Canonical frames for ``tenants × days`` come from the emulators' generator
(:func:`emulators.generator.generate_day` → :func:`expected_frames`, with Z-report
totals so the closure cross-check runs too), one tenant per generator profile in turn. They are
all built first, *then* :func:`map_period` runs over them: generation time is not measured.

Prints source lines per second (sales lines + payments handed to the mapping), sales lines per
second, and milliseconds per tenant-day (median and 95th percentile).

    .venv/bin/python -m bench.mapping_throughput [--tenants 20] [--days 30] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

from bench import OSS_COUNTRIES, PROFILES, Figures, Stopwatch, bench_tenant
from core.frames import SourceDay
from resources.tenants import TenantConfig

FIRST_DAY = date(2026, 11, 1)
FULL = {"tenants": 20, "days": 30}
QUICK = {"tenants": 4, "days": 5}


@dataclass
class TenantDay:
    tenant: TenantConfig
    day: date
    frames: SourceDay


def generate_workload(n_tenants: int, n_days: int, *, first_day: date = FIRST_DAY,
                      seed: int = 0) -> list[TenantDay]:
    """Canonical frames of ``n_tenants × n_days`` generated days (profiles in rotation)."""
    from emulators.generator import expected_frames, generate_day

    work = []
    for i in range(n_tenants):
        profile = PROFILES[i % len(PROFILES)]
        tenant = bench_tenant(f"bench-{profile}-{i:03d}", profile, index=i)
        for d in range(n_days):
            day = first_day + timedelta(days=d)
            sim = generate_day(profile, day, seed=seed + i, locations=1 + (i % 3 == 2),
                               countries=OSS_COUNTRIES.get(profile))
            work.append(TenantDay(tenant, day, expected_frames(sim, with_closures=True)))
    return work


def run(n_tenants: int = FULL["tenants"], n_days: int = FULL["days"], *, seed: int = 0) -> Figures:
    from core.accounting.mapping import map_period

    figs = Figures("mapping_throughput")
    with Stopwatch() as gen:
        work = generate_workload(n_tenants, n_days, seed=seed)
    sales_lines = sum(len(w.frames.sales_lines) for w in work)
    payments = sum(len(w.frames.payments) for w in work)
    print(f"generated {len(work)} tenant-days ({n_tenants} tenants × {n_days} days): {sales_lines:,} sales "
          f"lines, {payments:,} payments in {gen.seconds:.1f} s (not measured)", flush=True)

    per_day: list[float] = []
    unbalanced = 0
    t0 = time.perf_counter()
    for w in work:
        t = time.perf_counter()
        mapped = map_period(w.tenant, w.day, w.day + timedelta(days=1), w.frames.sales_lines,
                            w.frames.payments, w.frames.closure_totals)
        per_day.append(time.perf_counter() - t)
        unbalanced += mapped.total_debit_cents != mapped.total_credit_cents
    total = time.perf_counter() - t0
    source_lines = sales_lines + payments
    p95 = statistics.quantiles(per_day, n=20)[-1] if len(per_day) >= 2 else per_day[0]
    print(f"map_period over {len(work)} tenant-days: {total:.2f} s; {source_lines / total:,.0f} source lines/s "
          f"({sales_lines / total:,.0f} sales lines/s); {unbalanced} unbalanced entr(ies)", flush=True)

    figs.add("tenant-days mapped", len(work), "tenant-days", f"{n_tenants} tenants × {n_days} days")
    figs.add("source lines", source_lines, "lines", f"{sales_lines:,} sales lines + {payments:,} payments")
    figs.add("mapping throughput", source_lines / total, "source lines/s", "sales lines + payments; generation excluded")
    figs.add("mapping throughput (sales lines)", sales_lines / total, "sales lines/s")
    figs.add("map_period per tenant-day (median)", statistics.median(per_day) * 1000, "ms")
    figs.add("map_period per tenant-day (p95)", p95 * 1000, "ms")
    figs.add("unbalanced entries", unbalanced, "entries", "must be 0")
    return figs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mapping_throughput",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['tenants']} tenants × {QUICK['days']} days")
    parser.add_argument("--tenants", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    figs = run(args.tenants or size["tenants"], args.days or size["days"], seed=args.seed)
    figs.print()
    return 0 if figs.get("unbalanced entries") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
