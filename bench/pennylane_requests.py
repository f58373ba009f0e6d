"""Benchmark: Pennylane requests per posted entry over daily runs (issue 12, "Requests").

Each daily run is a new client, as a new Dagster run builds one (production constructor: the
tenant's company expected, the warehouse's shared cache, the cutover / other-tool guard), dated
one day later than the previous run, posting that day's one entry exactly once. Requests are
counted on the emulator, per operation.

Prints (``FIGURE`` lines):
- a company's first day (journal and accounts looked up, created when missing);
- posting requests per entry over the daily runs, goal ≤ 1.05 (before: 3.0, journals and ledger
  accounts re-read by every run);
- all requests per daily run, with the company check (``GET /me``, once per token per day) and
  the other-tool check (one journal read per run that writes).

    .venv/bin/python -m bench.pennylane_requests [--days 30]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench import Figures
from emulators.pennylane import create_app
from emulators.server import serve
from resources.pennylane import PennylaneClient
from resources.pennylane.cache import PennylaneCache
from resources.pennylane.company import ExpectedCompany
from resources.pennylane.journal_guard import JournalGuard
from resources.posting import EntryDraft, EntryLine, deterministic_piece_number, post_entry_exactly_once
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

CHECKS = ("GET get_me", "GET list_ledger_entries")
FIRST_DAY = date(2026, 1, 1)


def _draft(slug: str, day: date, i: int) -> EntryDraft:
    cash, card = 10_000 + i * 7, 25_000 + i * 13
    gross = cash + card
    net = (gross * 100 + 60) // 120
    lines = [EntryLine("530", "Espèces", cash, 0), EntryLine("5115", "Cartes bancaires", card, 0),
             EntryLine("707", "Ventes 20 %", 0, net), EntryLine("44571", "TVA collectée 20 %", 0, gross - net)]
    key = day.isoformat()
    return EntryDraft("VT", "Ventes", day, f"Ventes {key} — {slug}", deterministic_piece_number(slug, key), "EUR", lines)


def run(days: int = 30) -> Figures:
    figs = Figures("pennylane_requests")
    work = Path(tempfile.mkdtemp(prefix="pl-requests-"))
    app = create_app(work / "pennylane.db", rate_limit=False)  # requests are counted, not timed
    tenant = TenantConfig.model_validate({
        "slug": "bench", "name": "Bench SAS", "siret": "73282932000074", "start_date": FIRST_DAY.isoformat(),
        "source": {"type": "square", "credentials": {"access_token": "SQUARE_TOKEN"}},
        "pennylane": {"token_env": "PL_BENCH"},
    })
    token = "bench-requests"
    app.store.register_company(token, tenant.name, reg_no=tenant.siren)
    wh = Warehouse(f"sqlite:///{work / 'warehouse.db'}")

    def daily_run(srv_url: str, day: date, i: int) -> dict[str, int]:
        before = dict(app.stats["by_operation"])
        client = PennylaneClient(token, srv_url + "/api/external/v2", tenant=tenant.slug,
                                 expected=ExpectedCompany.of(tenant), cache=PennylaneCache(wh),
                                 guard=JournalGuard.of(tenant, wh), today=lambda: day + timedelta(days=1))
        try:
            post_entry_exactly_once(client, wh, tenant, day.isoformat(), day.isoformat(),
                                    _draft(tenant.slug, day, i), True)
        finally:
            client.close()
        after = app.stats["by_operation"]
        return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}

    with serve(app) as srv:
        first = daily_run(srv.url, FIRST_DAY, 0)
        runs = [daily_run(srv.url, FIRST_DAY + timedelta(days=i), i) for i in range(1, days + 1)]
        again = daily_run(srv.url, FIRST_DAY + timedelta(days=days), days)  # the last day, unchanged

    def posting(ops: dict[str, int]) -> int:
        return sum(v for k, v in ops.items() if k not in CHECKS)

    first_total = sum(first.values())
    figs.add("company's first day: requests", first_total, "requests",
             "before: 11-13; " + ", ".join(f"{k} {v}" for k, v in sorted(first.items())))
    figs.add(f"posting requests per entry, {days} daily runs", sum(posting(r) for r in runs) / days, "requests",
             "goal <= 1.05; before: 3.0 (journals and ledger accounts re-read by every run)")
    figs.add("company check per daily run (GET /me)", sum(r.get(CHECKS[0], 0) for r in runs) / days, "requests",
             "once per token per day (issue 13 point 1)")
    figs.add("other-tool check per daily run (journal read)", sum(r.get(CHECKS[1], 0) for r in runs) / days,
             "requests", "one per run that writes (issue 13 point 3)")
    figs.add("all requests per daily run", sum(sum(r.values()) for r in runs) / days, "requests",
             "posting + company check + other-tool check")
    figs.add("unchanged re-run of a posted day", sum(again.values()), "requests", "goal 0")
    return figs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pennylane_requests")
    parser.add_argument("--days", type=int, default=30, help="daily runs after the company's first day")
    args = parser.parse_args(argv)
    figs = run(args.days)
    for fig in figs.items:
        print(f"{fig.name}: {fig.text()}  ({fig.note})")
    figs.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
