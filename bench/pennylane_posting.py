"""Benchmark: exactly-once posting against the Pennylane emulator at the REAL rate limit.

Prints
- requests per posted entry in steady state (journal and accounts already cached; target ≤ 1.1),
- throughput against 25 requests / 5 s per token (target ≥ 90 %) and the number of 429s (target 0).

    .venv/bin/python bench/pennylane_posting.py [--entries 75]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulators.pennylane import create_app
from emulators.server import serve
from resources.pennylane import RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW, PennylaneClient
from resources.posting import EntryDraft, EntryLine, deterministic_piece_number, post_entry_exactly_once
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse


def _draft(slug: str, day: date, i: int) -> EntryDraft:
    cash, card = 10_000 + i * 7, 25_000 + i * 13
    gross = cash + card
    net = (gross * 100 + 60) // 120
    lines = [EntryLine("530", "Espèces", cash, 0), EntryLine("5115", "Cartes bancaires", card, 0),
             EntryLine("707", "Ventes 20 %", 0, net), EntryLine("44571", "TVA collectée 20 %", 0, gross - net)]
    key = day.isoformat()
    return EntryDraft("VT", "Ventes", day, f"Ventes {key} — {slug}", deterministic_piece_number(slug, key), "EUR", lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=75, help="entries posted in the measured steady state")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pl-bench-"))
    app = create_app(work / "pennylane.db")  # real limit: 25 requests / 5 s per token
    token = "bench-" + os.urandom(6).hex()
    app.store.register_company(token, "Bench SAS")
    tenant = TenantConfig.model_validate({
        "slug": "bench", "name": "Bench", "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "square", "credentials": {"access_token": "SQUARE_TOKEN"}}, "pennylane": {"token_env": "PL_BENCH"},
    })
    wh = Warehouse(f"sqlite:///{work / 'warehouse.db'}")
    with serve(app) as srv:
        client = PennylaneClient(token, srv.url + "/api/external/v2", tenant="bench")
        start_day = date(2026, 1, 1)
        # warm-up: first entry looks up / creates the journal and the accounts (cached afterwards)
        post_entry_exactly_once(client, wh, tenant, start_day.isoformat(), start_day.isoformat(),
                                _draft("bench", start_day, 0), True)
        warmup_requests = client.requests_sent
        # Let the window empty so the measurement starts from a clean slate.
        time.sleep(RATE_LIMIT_WINDOW + 0.5)
        sent0, throttled0 = client.requests_sent, app.stats["throttled"]
        t0 = time.monotonic()
        for i in range(1, args.entries + 1):
            day = start_day + timedelta(days=i)
            post_entry_exactly_once(client, wh, tenant, day.isoformat(), day.isoformat(), _draft("bench", day, i), True)
        elapsed = time.monotonic() - t0
        sent = client.requests_sent - sent0
        throttled = app.stats["throttled"] - throttled0
        # an unchanged re-run costs nothing
        sent_before_rerun = client.requests_sent
        for i in range(1, 11):
            day = start_day + timedelta(days=i)
            post_entry_exactly_once(client, wh, tenant, day.isoformat(), day.isoformat(), _draft("bench", day, i), True)
        rerun_requests = client.requests_sent - sent_before_rerun

    limit_rate = RATE_LIMIT_REQUESTS / RATE_LIMIT_WINDOW
    # Steady state is throttled: the first 25 requests go out at once, the rest at the limit's pace.
    rate = (sent - RATE_LIMIT_REQUESTS) / elapsed if sent > RATE_LIMIT_REQUESTS else sent / elapsed
    print(f"warm-up (journal + 4 accounts + first entry): {warmup_requests} requests")
    print(f"steady state: {args.entries} entries, {sent} requests in {elapsed:.2f} s")
    print(f"requests per posted entry: {sent / args.entries:.3f} (target <= 1.1)")
    print(f"throughput: {rate:.2f} req/s = {100 * rate / limit_rate:.1f} % of 25 req / 5 s (target >= 90 %)")
    print(f"429 responses: {throttled} (target 0)")
    print(f"unchanged re-run of 10 entries: {rerun_requests} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
