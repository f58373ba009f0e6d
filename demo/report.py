"""What the demo prints: a line per tenant-day, then a check of what Pennylane received."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from decimal import Decimal

from core.statuses import DayStatus
from resources.tenants import TenantConfig


def print_summary(rows: list[dict]) -> None:
    print("\n== Summary")
    print(f"{'tenant':<24} {'day':<11} {'status':<9} detail")
    for r in rows:
        print(f"{r['tenant']:<24} {r['period']:<11} {r['status']:<9} {r['detail']}")
    counts = Counter(r["status"] for r in rows)
    print("   " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def check_pennylane(server, registry: dict[str, TenantConfig], rows: list[dict]) -> bool:
    """Every demo tenant-day is posted (the demo's days are all past and final) and has exactly one
    balanced entry in its own Pennylane company."""
    from emulators.pennylane.store import Store

    store: Store = server.app.store
    ok = True
    print("\n== Pennylane emulator")
    by_tenant = defaultdict(list)
    for r in rows:
        by_tenant[r["tenant"]].append(r)
    for slug, tenant_rows in by_tenant.items():
        tenant = registry[slug]
        company = store.company_for_token(os.environ[tenant.pennylane.token_env])
        entries = store.all("ledger_entry", company["id"])
        per_date = Counter(e["date"] for e in entries)
        unbalanced = [e for e in entries
                      if sum(Decimal(ln["debit"]) for ln in e["lines"]) != sum(Decimal(ln["credit"]) for ln in e["lines"])]
        posted = [r["period"] for r in tenant_rows if r["status"] == DayStatus.POSTED]
        failed = [r["period"] for r in tenant_rows if r["status"] == DayStatus.FAILED]
        not_posted = [f"{r['period']} {r['status']}" for r in tenant_rows
                      if r["status"] not in (DayStatus.POSTED, DayStatus.FAILED)]
        missing = [d for d in posted if per_date.get(d, 0) == 0]
        doubled = sorted(d for d, n in per_date.items() if n > 1)
        total = sum(Decimal(ln["debit"]) for e in entries for ln in e["lines"])
        print(f"{slug:<24} company {company['id']} ({company['name']}): {len(entries)} entries, "
              f"{len(posted)} days posted, total debits {total} EUR; "
              f"duplicates: {len(doubled)}, missing: {len(missing)}, unbalanced: {len(unbalanced)}, "
              f"failed days: {len(failed)}, not posted: {len(not_posted)}")
        for what, items in (("duplicated", doubled), ("missing", missing), ("failed", failed),
                            ("not posted", not_posted)):
            if items:
                print(f"   PROBLEM {slug}: {what}: {', '.join(items)}")
        ok &= not (doubled or missing or unbalanced or failed or not_posted)
    print("\nEvery demo tenant-day is posted once and balanced." if ok else "\nPROBLEMS: see above.")
    return ok
