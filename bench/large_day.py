"""Benchmark: one very large day (1,000,000 sales lines) through validation, mapping and checks.

The day is built *vectorised* (numpy/pandas, no Python loop over rows) straight into the
canonical frames, honouring their invariants: ``gross = net + vat`` per line (VAT extracted
from the VAT-included price, half up, like a till), one payment per order summing to the
order's gross plus its tip, refund orders negative throughout, and consistent Z-report totals.

Measured, per phase: wall time and peak RSS growth (sampled; see :class:`bench.RssSampler`)
for (1) the pandera validation ``fetch_sales`` runs, (2) :func:`map_period`, (3) the three
blocking checks ``build_journal`` runs, (4) the warehouse write of the day's frames (one
transaction, as ``fetch_sales`` stores them) and their read back (as ``build_journal`` loads
them), on SQLite in a temporary folder or on ``--warehouse URL``. The entry must come out balanced.

    .venv/bin/python -m bench.large_day [--lines 1000000] [--quick] [--profile] [--warehouse URL]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from bench import MIB, Figures, RssSampler, Stopwatch, bench_tenant, peak_rss_bytes
from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay
from core.money import cents_to_text
from emulators.generator import CATALOGUES, METHODS

DAY = date(2026, 11, 20)
FULL_LINES = 1_000_000
QUICK_LINES = 10_000
REFUND_SHARE = 0.01
TIP_SHARE = 0.3
TIPS = np.array([100, 150, 200, 250, 300, 500], dtype=np.int64)


def _vat_of_gross(gross: np.ndarray, rate_tenths: np.ndarray) -> np.ndarray:
    """``round_half_up(gross × r / (100 + r))`` in exact integer arithmetic, halves away from 0.

    ``rate_tenths`` is the rate × 10 (5.5 % → 55), so ``vat = |g| × r10 / (1000 + r10)`` and
    half-up of ``a / b`` (a, b ≥ 0) is ``(2a + b) // 2b``."""
    a = np.abs(gross) * rate_tenths
    b = 1000 + rate_tenths
    return np.sign(gross) * ((2 * a + b) // (2 * b))


def _strings(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded numbers, as a numpy unicode array (vectorised)."""
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))


def build_large_day(n_lines: int, *, seed: int = 0, day: date = DAY, profile: str = "restaurant",
                    with_closure: bool = True) -> SourceDay:
    """``n_lines`` sales lines of one location, from ``profile``'s catalogue and payment methods."""
    rng = np.random.default_rng(seed)
    catalogue = CATALOGUES[profile]
    weights = np.array([p.weight for p in catalogue], dtype=float)
    unit = np.array([p.unit_gross_cents for p in catalogue], dtype=np.int64)
    rates = np.array([p.vat_rate for p in catalogue])
    rate_tenths = np.array([int(Decimal(str(r)) * 10) for r in rates], dtype=np.int64)
    skus = np.array([p.sku for p in catalogue])
    categories = np.array([p.category for p in catalogue])

    # Orders of 1 to 6 lines, cut at exactly n_lines.
    sizes = rng.integers(1, 7, size=n_lines // 2 + 1)
    ends = np.cumsum(sizes)
    n_orders = int(np.searchsorted(ends, n_lines) + 1)
    sizes = sizes[:n_orders].copy()
    sizes[-1] -= int(ends[n_orders - 1] - n_lines)
    order_of_line = np.repeat(np.arange(n_orders), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    line_no = np.arange(n_lines) - np.repeat(starts, sizes) + 1

    refund_order = rng.random(n_orders) < REFUND_SHARE
    refund_order[0] = False
    product = rng.choice(len(catalogue), size=n_lines, p=weights / weights.sum())
    qty = rng.integers(1, 4, size=n_lines)
    sign = np.where(refund_order[order_of_line], -1, 1)
    gross = sign * qty * unit[product]
    vat = _vat_of_gross(gross, rate_tenths[product])
    net = gross - vat

    order_ids = _strings(f"loc-1-{day:%Y%m%d}-", np.arange(1, n_orders + 1), 7)
    line_order_ids = order_ids[order_of_line]
    line_ids = np.char.add(np.char.add(line_order_ids, "-L"), line_no.astype(str))
    is_refund_line = refund_order[order_of_line]
    lines = pd.DataFrame({
        "order_id": line_order_ids, "line_id": line_ids, "location": "loc-1", "kind": "item",
        "product_id": np.char.add("P-", skus[product]), "sku": skus[product],
        "category": categories[product], "quantity": (sign * qty).astype("float64"),
        "net_cents": net, "vat_rate": rates[product], "vat_cents": vat, "gross_cents": gross,
        "country": "FR", "is_refund": is_refund_line, "currency": "EUR", "buyer_vat_id": "",
    })
    lines = lines.astype(SALES_LINE_COLUMNS)

    # One payment per order: the order's gross, plus a tip on some card payments.
    order_gross = np.add.reduceat(gross, starts)
    methods = METHODS[profile]
    method_names = np.array([m[0] for m in methods])
    method_weights = np.array([m[1] for m in methods], dtype=float)
    takes_tips = np.array([m[2] for m in methods])
    method = rng.choice(len(methods), size=n_orders, p=method_weights / method_weights.sum())
    method = np.where(refund_order, int(np.flatnonzero(method_names == "Espèces")[0])
                      if "Espèces" in method_names else 0, method)
    tipped = takes_tips[method] & ~refund_order & (rng.random(n_orders) < TIP_SHARE)
    tip = np.where(tipped, TIPS[rng.integers(0, len(TIPS), size=n_orders)], 0).astype(np.int64)
    payments = pd.DataFrame({
        "order_id": order_ids, "payment_id": np.char.add(order_ids, "-P1"), "location": "loc-1",
        "method": method_names[method], "amount_cents": order_gross + tip, "tip_cents": tip,
        "is_refund": refund_order, "currency": "EUR",
    }).astype(PAYMENT_COLUMNS)

    closure = pd.DataFrame({c: pd.Series(dtype=t) for c, t in CLOSURE_COLUMNS.items()})
    if with_closure:
        by_method = payments.groupby(payments["method"].astype(str), sort=True)["amount_cents"].sum()
        by_rate = lines.groupby(lines["vat_rate"].astype(str), sort=True)[
            ["gross_cents", "net_cents", "vat_cents"]].sum()
        closure = pd.concat([
            pd.DataFrame({"location": "loc-1", "dimension": "payment", "key": by_method.index,
                          "amount_cents": by_method.to_numpy(), "net_cents": 0, "vat_cents": 0}),
            pd.DataFrame({"location": "loc-1", "dimension": "vat", "key": by_rate.index,
                          "amount_cents": by_rate["gross_cents"].to_numpy(),
                          "net_cents": by_rate["net_cents"].to_numpy(), "vat_cents": by_rate["vat_cents"].to_numpy()}),
        ], ignore_index=True).astype(CLOSURE_COLUMNS)
    return SourceDay(sales_lines=lines, payments=payments, closure_totals=closure,
                     origin=f"bench.large_day:{profile}:{day.isoformat()}:{seed}:{n_lines}")


def check_invariants(source: SourceDay) -> None:
    """The frames' invariants, independently of the mapping (a bench on bad data measures nothing)."""
    lines, pays = source.sales_lines, source.payments
    assert (lines["gross_cents"] == lines["net_cents"] + lines["vat_cents"]).all()
    assert int(pays["amount_cents"].sum()) == int(lines["gross_cents"].sum()) + int(pays["tip_cents"].sum())
    by_order = lines.groupby("order_id")["gross_cents"].sum()
    paid = pays.set_index("order_id")["amount_cents"] - pays.set_index("order_id")["tip_cents"]
    assert by_order.sort_index().equals(paid.sort_index().rename("gross_cents"))


def warehouse_path(figs: Figures, source: SourceDay, url: str | None) -> None:
    """Write the day's frames to the warehouse as ``fetch_sales`` does, read them back as
    ``build_journal`` does, and check that what comes back is what went in."""
    from pipelines.sales.steps import load_frames
    from resources.warehouse import Warehouse

    frames = {"sales_lines": source.sales_lines, "payments": source.payments,
              "closure_totals": source.closure_totals}
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(url or f"sqlite:///{Path(tmp) / 'warehouse.db'}")
        kind = wh.engine.dialect.name
        try:
            with Stopwatch() as sw, RssSampler() as mem:
                wh.replace_partition("bench-large-day", DAY.isoformat(), frames)
            figs.add("warehouse write wall time", sw.seconds, "s", f"{kind}, one transaction")
            figs.add("warehouse write peak RSS growth", mem.growth_bytes / MIB, "MiB", "over the frames")
            print(f"warehouse write ({kind}): {sw.seconds:.2f} s, peak RSS +{mem.growth_bytes / MIB:,.0f} MiB",
                  flush=True)
            with Stopwatch() as sw, RssSampler() as mem:
                back = load_frames(wh, "bench-large-day", DAY.isoformat())
            figs.add("warehouse read wall time", sw.seconds, "s", f"{kind}, typed frames")
            figs.add("warehouse read peak RSS growth", mem.growth_bytes / MIB, "MiB", "over the frames")
            print(f"warehouse read ({kind}): {sw.seconds:.2f} s, peak RSS +{mem.growth_bytes / MIB:,.0f} MiB",
                  flush=True)
            wh.replace_partition("bench-large-day", DAY.isoformat(), {name: frame.iloc[:0] for name, frame in frames.items()})
        finally:
            wh.engine.dispose()
    for name, frame in frames.items():
        key = list(frame.columns)
        pd.testing.assert_frame_equal(back[name].sort_values(key, ignore_index=True),
                                      frame.sort_values(key, ignore_index=True), check_dtype=True)


def run(n_lines: int = FULL_LINES, *, seed: int = 0, profile_to: str | None = None,
        warehouse_url: str | None = None) -> Figures:
    """Build the day, then validate, map and check it, measuring each phase."""
    from core.accounting.checks import check_accounts_mapped, check_balanced, check_vat_rates_known
    from core.accounting.mapping import map_period
    from pipelines.sales.steps import FRAME_MODELS

    figs = Figures("large_day")
    tenant = bench_tenant("bench-large-day", "restaurant")
    with Stopwatch() as build:
        source = build_large_day(n_lines, seed=seed)
    check_invariants(source)
    frames_mib = sum(f.memory_usage(deep=True).sum() for f in
                     (source.sales_lines, source.payments, source.closure_totals)) / MIB
    print(f"built {len(source.sales_lines):,} sales lines, {len(source.payments):,} payments, "
          f"{len(source.closure_totals)} closure totals in {build.seconds:.1f} s (vectorised; not measured); "
          f"frames hold {frames_mib:,.0f} MiB", flush=True)

    with Stopwatch() as sw, RssSampler() as mem:
        for name, (model, _cols) in FRAME_MODELS.items():
            model.validate(getattr(source, name), lazy=True)
    figs.add("pandera validation", sw.seconds, "s", f"peak RSS +{mem.growth_bytes / MIB:,.0f} MiB")
    print(f"pandera validation (as fetch_sales): {sw.seconds:.2f} s, peak RSS +{mem.growth_bytes / MIB:,.0f} MiB",
          flush=True)

    profiler = cProfile.Profile() if profile_to else None
    with Stopwatch() as sw, RssSampler() as mem:
        if profiler:
            profiler.enable()
        mapped = map_period(tenant, DAY, DAY + timedelta(days=1), source.sales_lines, source.payments,
                            source.closure_totals)
        if profiler:
            profiler.disable()
    map_seconds, map_growth = sw.seconds, mem.growth_bytes
    print(f"map_period: {map_seconds:.2f} s ({n_lines / map_seconds:,.0f} lines/s), "
          f"peak RSS +{map_growth / MIB:,.0f} MiB over the frames, {len(mapped.lines)} journal lines", flush=True)

    with Stopwatch() as sw, RssSampler() as mem:
        checks = {
            "vat_rates_known": check_vat_rates_known(tenant, source.sales_lines, DAY),
            "entry_balanced": check_balanced(mapped.lines),
            "accounts_mapped": check_accounts_mapped(tenant, mapped),
        }
    print(f"blocking checks: {sw.seconds:.2f} s, peak RSS +{mem.growth_bytes / MIB:,.0f} MiB; "
          + ", ".join(f"{k} {'passed' if c.passed else 'FAILED'}" for k, c in checks.items()), flush=True)

    balanced = mapped.total_debit_cents == mapped.total_credit_cents and checks["entry_balanced"].passed
    gross = int(source.sales_lines["gross_cents"].sum())
    print(f"entry: debit {cents_to_text(mapped.total_debit_cents)} = credit {cents_to_text(mapped.total_credit_cents)} "
          f"({'balanced' if balanced else 'NOT BALANCED'}); sales gross {cents_to_text(gross)}, "
          f"tips {cents_to_text(mapped.tips_cents)}, rounding {mapped.rounding_cents} cent(s)", flush=True)

    warehouse_path(figs, source, warehouse_url)
    figs.add("sales lines", n_lines, "lines")
    figs.add("map_period wall time", map_seconds, "s")
    figs.add("map_period throughput", n_lines / map_seconds, "lines/s")
    figs.add("map_period peak RSS growth", map_growth / MIB, "MiB", "over the input frames")
    figs.add("checks wall time", sw.seconds, "s", "vat_rates_known + entry_balanced + accounts_mapped")
    figs.add("input frames size", frames_mib, "MiB", "pandas deep memory usage")
    figs.add("process peak RSS", peak_rss_bytes() / MIB, "MiB", "getrusage, whole run")
    figs.add("entry balanced", 1 if balanced else 0, "", "1 = debits equal credits, check passed")
    figs.add("journal lines", len(mapped.lines), "lines")

    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
        with open(profile_to, "w", encoding="utf-8") as f:
            f.write(out.getvalue())
        print(f"cProfile of map_period written to {profile_to}", flush=True)
    return figs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.large_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, help=f"sales lines (default {FULL_LINES:,}; --quick {QUICK_LINES:,})")
    parser.add_argument("--quick", action="store_true", help=f"a small day ({QUICK_LINES:,} lines)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of map_period to FILE")
    parser.add_argument("--warehouse", metavar="URL", help="warehouse to write to (default: SQLite in a "
                        "temporary folder); its rows of the bench tenant-day are removed after")
    args = parser.parse_args(argv)
    n = args.lines or (QUICK_LINES if args.quick else FULL_LINES)
    figs = run(n, seed=args.seed, profile_to=args.profile, warehouse_url=args.warehouse)
    figs.print()
    return 0 if figs.get("entry balanced") == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
