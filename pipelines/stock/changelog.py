"""Pennylane changelogs (``products``, ``customers``, ``customer_invoices``) read from a stored cursor.

A cursor older than the 4-week retention (minus a day of safety) is not trusted: events may have
been dropped, so the changelog is read from the oldest retained event and the caller also
re-lists the records with a date filter. The first run of a tenant does the same full listing.
The cursor is saved (by the callback returned) only after the events are applied, so a failed
run re-reads them (applying an event twice is harmless: documents are versioned by content).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pipelines.stock.sync_run import SyncRun, parse_ts, rfc3339
from resources.stock.store import CursorState

RETENTION = timedelta(weeks=4)
CURSOR_SAFETY = timedelta(days=1)


def read_changelog(run: SyncRun, resource: str, full: bool) -> tuple[dict[int, str], bool, Callable[[], None]]:
    """Events since the stored position: ``{id: last operation}``, whether a full re-list is
    needed (first run, stale cursor, or ``full``), and a callback saving the new position."""
    state = run.store.cursor(run.slug, resource)
    now = run.now()
    first = state.synced_at is None
    stale = not first and now - state.synced_at > RETENTION - CURSOR_SAFETY
    cursor, start = state.cursor, None
    if first or stale:
        cursor = None
        # First run: the full listing covers the past; read events from now on (minus skew).
        # Stale cursor: read everything still retained, and re-list (the gap may hide events).
        start = now - timedelta(minutes=5) if first else now - RETENTION + timedelta(hours=1)
        if stale:
            run.report.fallbacks.append(
                f"{resource}: cursor from {state.synced_at:%Y-%m-%d %H:%M} is older than the changelog "
                f"retention ({RETENTION.days} days): re-listed with a date filter")
            run.store.log(run.slug, "cursor_fallback", resource, run.report.fallbacks[-1])
    elif not cursor and state.resume_at:
        start = parse_ts(state.resume_at)
    ops: dict[int, str] = {}
    last_processed = state.resume_at
    calls = 0
    while True:
        items, next_cursor, has_more = run.client.changelog(
            resource, start_date=rfc3339(start) if start else None, cursor=cursor, limit=1000)
        calls += 1
        for item in items:
            ops.pop(int(item["id"]), None)
            ops[int(item["id"])] = item["operation"]
            last_processed = item.get("processed_at") or last_processed
        if next_cursor:
            cursor, start = next_cursor, None
        if not has_more:
            break
    run.report.changelog_calls[resource] = calls
    if cursor is None and start is not None and last_processed is None:
        last_processed = rfc3339(start)

    def save() -> None:
        run.store.save_cursor(run.slug, resource, CursorState(
            cursor=cursor, resume_at=last_processed, watermark=state.watermark, synced_at=now,
            full_scan_at=now if (first or stale or full) else state.full_scan_at))

    return ops, (first or stale or full), save
