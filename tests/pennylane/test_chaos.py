"""Chaos: 500 tenant-days (5 tenants × 100 days) posted through the emulator with ~20 % injected
faults (5xx, 429, timeouts before and after commit, committed-but-dropped responses) and one
process crash between POST and recording the id. The emulator must end with exactly one
balanced entry per tenant-day, equal to the expected payload. Then 10 days change and are
re-posted: still one entry per day, with the new amounts."""

from __future__ import annotations

import random
import threading
from datetime import date
from decimal import Decimal

import pytest

from core.errors import TransientError
from resources.http import RetryPolicy
from resources.posting import EntryDraft, post_entry_exactly_once
from tests.pennylane.posting_helpers import days, draft, tenant, warehouse

pytestmark = pytest.mark.slow

N_TENANTS = 5
N_DAYS = 100
FAULT_RATE = 0.2
CLIENT_TIMEOUT = 0.4
CHAOS_RETRIES = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1)


class SimulatedCrash(BaseException):
    """The process dies: not an Exception, nothing catches it."""


def _random_fault(rng: random.Random, token: str) -> dict:
    kind = rng.choice(["500", "503", "429", "timeout", "timeout_commit", "drop", "drop", "get500"])
    base = {"token": token, "count": 1}
    if kind in ("500", "503", "429"):
        return {**base, "kind": "status", "status": int(kind), "method": "POST", "path": "/ledger_entries",
                "retry_after": 1}
    if kind == "get500":
        return {**base, "kind": "status", "status": 500, "method": "GET"}
    if kind == "timeout":
        return {**base, "kind": "timeout", "seconds": CLIENT_TIMEOUT + 0.2, "method": "POST"}
    if kind == "timeout_commit":
        return {**base, "kind": "timeout", "seconds": CLIENT_TIMEOUT + 0.2, "commit": True, "method": "POST",
                "path": "/ledger_entries"}
    return {**base, "kind": "drop", "method": "POST", "path": "/ledger_entries"}


def _amounts(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(0, 200_000), rng.randint(100, 500_000), rng.choice([0, 0, 0, rng.randint(1, 3_000)])


def _expected_lines(d: EntryDraft, numbers_to_ids: dict[str, int]) -> list[tuple[int, str, str, str]]:
    def amt(c: int) -> str:
        return f"{c // 100}.{c % 100:02d}"

    return [(numbers_to_ids[ln.account], ln.label, amt(ln.debit_cents), amt(ln.credit_cents)) for ln in d.lines]


def _run(emu, wh, tenants, plan, rng_seed: int, crash_at: tuple[str, date] | None):
    """Post every (tenant, day) of ``plan``; a day whose call fails is re-run (like a Dagster retry)."""
    errors: list[BaseException] = []
    stats = {"reruns": 0, "faults": 0, "crashes": 0}
    lock = threading.Lock()

    def worker(slug: str):
        rng = random.Random(f"{rng_seed}-{slug}")
        t, token = tenants[slug]
        client = emu.client(token, timeout=CLIENT_TIMEOUT, retry_policy=CHAOS_RETRIES, tenant=slug)
        for day, d in plan[slug]:
            if rng.random() < FAULT_RATE:
                emu.fault(**_random_fault(rng, token))
                with lock:
                    stats["faults"] += 1
            if crash_at == (slug, day):
                real = client.create_ledger_entry

                def post_then_crash(payload, real=real):
                    real(payload)
                    raise SimulatedCrash()

                client.create_ledger_entry = post_then_crash
                with pytest.raises(SimulatedCrash):
                    post_entry_exactly_once(client, wh, t, day.isoformat(), day.isoformat(), d, True)
                with lock:
                    stats["crashes"] += 1
                # "restart the process": a new client with empty caches
                client = emu.client(token, timeout=CLIENT_TIMEOUT, retry_policy=CHAOS_RETRIES, tenant=slug)
            for attempt in range(6):
                try:
                    post_entry_exactly_once(client, wh, t, day.isoformat(), day.isoformat(), d, True)
                    break
                except TransientError:
                    with lock:
                        stats["reruns"] += 1
                    if attempt == 5:
                        raise

    def run(slug):
        try:
            worker(slug)
        except BaseException as exc:  # surface in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(slug,)) for slug in plan]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return stats


def _assert_one_entry_per_day(emu, tenants, expected: dict[str, dict[date, EntryDraft]]):
    store = emu.app.store
    for slug, (_t, token) in tenants.items():
        company = store.company_for_token(token)
        entries = store.all("ledger_entry", company["id"])
        accounts = {a["number"]: a["id"] for a in store.all("ledger_account", company["id"])}
        by_day: dict[str, list[dict]] = {}
        for e in entries:
            by_day.setdefault(e["date"], []).append(e)
        assert sorted(by_day) == sorted(d.isoformat() for d in expected[slug]), f"{slug}: missing or extra days"
        dupes = {k: len(v) for k, v in by_day.items() if len(v) != 1}
        assert dupes == {}, f"{slug}: duplicated days {dupes}"
        for day, d in expected[slug].items():
            (e,) = by_day[day.isoformat()]
            got = [(ln["ledger_account_id"], ln["label"], ln["debit"], ln["credit"]) for ln in e["lines"]]
            assert got == _expected_lines(d, accounts), f"{slug} {day}: lines differ"
            assert sum(Decimal(ln["debit"]) for ln in e["lines"]) == sum(Decimal(ln["credit"]) for ln in e["lines"])
            assert (e["piece_number"], e["label"]) == (d.piece_number, d.label)


def test_chaos_500_tenant_days_exactly_once(emu, tmp_path):
    rng = random.Random(42)
    wh = warehouse(tmp_path)
    tenants = {}
    plan: dict[str, list[tuple[date, EntryDraft]]] = {}
    expected: dict[str, dict[date, EntryDraft]] = {}
    for i in range(N_TENANTS):
        slug = f"shop-{i}"
        token = emu.company(f"Shop {i}")
        tenants[slug] = (tenant(slug, f"PL_TOKEN_{i}", i), token)
        plan[slug] = [(day, draft(slug, day, *_amounts(rng))) for day in days(date(2026, 1, 1), N_DAYS)]
        expected[slug] = dict(plan[slug])

    stats = _run(emu, wh, tenants, plan, 1, crash_at=("shop-2", date(2026, 2, 10)))
    assert stats["faults"] >= 0.15 * N_TENANTS * N_DAYS
    assert stats["crashes"] == 1
    _assert_one_entry_per_day(emu, tenants, expected)
    assert emu.app.stats["faults_triggered"] >= stats["faults"] * 0.9

    # 10 days change (2 per tenant): re-posted under faults, replaced in place
    changed: dict[str, list[tuple[date, EntryDraft]]] = {}
    for slug in plan:
        for day in rng.sample([d for d, _ in plan[slug]], 2):
            new = draft(slug, day, *_amounts(rng))
            changed.setdefault(slug, []).append((day, new))
            expected[slug][day] = new
    ids_before = {e["id"] for c in emu.summary()["companies"] for e in c["entries"]}
    _run(emu, wh, tenants, changed, 2, crash_at=None)
    _assert_one_entry_per_day(emu, tenants, expected)
    ids_after = {e["id"] for c in emu.summary()["companies"] for e in c["entries"]}
    assert ids_after == ids_before  # replaced in place, never re-created
