"""``python -m bench`` (``make bench``): every benchmark in turn, then one table of figures.

Each benchmark runs in its own process (``python -m bench.<name>``), so that one's peak memory
or environment does not leak into the next, and its output is shown as it comes. The figures
are read back from the ``FIGURE bench | name | value | note`` lines the bench modules print,
and from the plain-text lines of the older ``bench/pennylane_posting.py`` and
``bench/stock_sync.py`` scripts.

    python -m bench [--quick] [--only mapping_throughput,large_day]

Full run ≈ 6-9 min on 2 cores; ``--quick`` (small sizes) < 2 min.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Bench:
    name: str
    full: list[str]
    quick: list[str]
    module: bool = True  # `python -m bench.<name>`, else the script bench/<name>.py
    # (figure name, regex on the output whose first group is the value, unit) for scripts that
    # do not print FIGURE lines
    patterns: list[tuple[str, str, str]] = field(default_factory=list)


BENCHES = [
    Bench("mapping_throughput", [], ["--quick"]),
    Bench("large_day", [], ["--quick", "--lines", "50000"]),
    Bench("end_to_end", [], ["--quick"]),
    Bench("pennylane_posting", ["--entries", "75"], ["--entries", "50"], module=False, patterns=[
        ("requests per posted entry (target ≤ 1.1)", r"requests per posted entry: ([\d.]+)", ""),
        ("throughput vs 25 req / 5 s (target ≥ 90 %)", r"= ([\d.]+) % of 25 req", "%"),
        ("429 responses (target 0)", r"429 responses: (\d+)", ""),
        ("unchanged re-run of 10 entries", r"unchanged re-run of 10 entries: (\d+) requests", "requests"),
    ]),
    Bench("pennylane_requests", ["--days", "30"], ["--days", "10"]),
    Bench("stock_sync", [], [], module=False, patterns=[
        ("document → level changed (median)", r"median (\d+) ms, max", "ms"),
        ("document → level changed (max)", r"max (\d+) ms over", "ms"),
        ("requests per idle sync", r"requests per idle sync: \[(\d+)", "requests"),
        ("idle sync duration (median)", r"idle sync duration: median (\d+) ms", "ms"),
    ]),
]

FIGURE_RE = re.compile(r"^FIGURE (?P<bench>[^|]+?) \| (?P<name>[^|]+?) \| (?P<value>[^|]*?) \|(?P<note>.*)$")


@dataclass
class Row:
    bench: str
    name: str
    value: str
    note: str = ""


def run_one(bench: Bench, quick: bool) -> tuple[list[Row], int, float]:
    """Run one benchmark in a child process, echoing its output; return its figures."""
    args = bench.quick if quick else bench.full
    cmd = ([sys.executable, "-m", f"bench.{bench.name}"] if bench.module
           else [sys.executable, str(ROOT / "bench" / f"{bench.name}.py")]) + args
    print(f"\n=== {bench.name} ({' '.join(cmd[1:])}) ===", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")
    output = []
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line.rstrip("\n"))
        if not line.startswith("FIGURE "):
            print(line, end="", flush=True)
    code = proc.wait()
    seconds = time.perf_counter() - t0
    rows = []
    for line in output:
        m = FIGURE_RE.match(line)
        if m:
            rows.append(Row(m["bench"], m["name"], m["value"].strip(), m["note"].strip()))
    text = "\n".join(output)
    for name, pattern, unit in bench.patterns:
        m = re.search(pattern, text)
        rows.append(Row(bench.name, name, f"{m.group(1)} {unit}".strip() if m else "(not printed)"))
    if code != 0:
        rows.append(Row(bench.name, "EXIT CODE", str(code), "the benchmark failed; see its output above"))
    return rows, code, seconds


def print_table(rows: list[Row], durations: dict[str, float]) -> None:
    name_w = max(len(r.name) for r in rows)
    value_w = max(len(r.value) for r in rows)
    print("\n" + "=" * 100)
    print("FIGURES")
    print("=" * 100)
    current = None
    for r in rows:
        if r.bench != current:
            current = r.bench
            print(f"\n{current}  ({durations.get(current, 0):.0f} s)")
        note = f"  {r.note}" if r.note else ""
        print(f"  {r.name:<{name_w}}  {r.value:>{value_w}}{note}")
    print(f"\ntotal: {sum(durations.values()):.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under 2 minutes)")
    parser.add_argument("--only", help="comma-separated benchmark names: "
                        + ", ".join(b.name for b in BENCHES))
    args = parser.parse_args(argv)
    chosen = BENCHES
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        unknown = sorted(set(wanted) - {b.name for b in BENCHES})
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
        chosen = [b for b in BENCHES if b.name in wanted]
    rows: list[Row] = []
    durations: dict[str, float] = {}
    failed = []
    for bench in chosen:
        bench_rows, code, seconds = run_one(bench, args.quick)
        rows += bench_rows
        durations[bench.name] = seconds
        if code != 0:
            failed.append(bench.name)
    print_table(rows, durations)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
