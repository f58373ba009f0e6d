"""A safe switch from another integration (issue 13, point 3): the cutover date, and no entry
written into a day that another tool already posted.

- ``cutover_date``: no ledger entry dated before it is ever written, whatever asks (a backfill
  from ``start_date``, the CLI, a replacement): a *mapping* error before the request.
- Before the first entry of a day is written (created or replaced), the tenant's journal is read
  for that date. An entry there that this system did not post — its id is not in the tenant's
  ``posting_log`` and its piece number is not of our scheme (``S<yyyymmdd>-<8 hex>``, see
  :func:`resources.posting.deterministic_piece_number`) — means another integration still posts
  that journal: a *mapping* error "already posted by another tool: entry <id>, <label>", nothing
  written. A journal the tenant lists in ``pennylane.shared_journals`` is shared on purpose and
  not checked.

Request budget: one filtered list per run (``journal_id`` = the journal, ``date`` ≥ the first day
written), paginated; later days of the run (a ranged run goes forward in time) read the same
answer; a day before that bound widens it with one more list. Nothing is read when nothing is
written (an unchanged re-run costs 0).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from core.errors import MappingError
from core.tenants import TenantConfig
from resources.warehouse import Warehouse

# Our piece numbers: S<yyyymm[dd]>-<8 hex>, or S-<16 hex> (resources.posting), any suffix after.
OUR_PIECE_NUMBER = re.compile(r"^S(\d{6}|\d{8})?-[0-9a-f]{8}")
# posting_log's columns read here (the table is declared by resources.posting, which imports this
# package: named, not imported).
_POSTING_LOG = sa.table("posting_log", sa.column("tenant"), sa.column("pennylane_id"))

ListEntries = Callable[[list[dict[str, Any]]], Iterator[dict[str, Any]]]


def posted_ids(warehouse: Warehouse, tenant: str, candidates: set[int]) -> set[int]:
    """Those of the ``candidates`` (Pennylane entry ids) this system posted for ``tenant``."""
    query = sa.select(_POSTING_LOG.c.pennylane_id).where(_POSTING_LOG.c.tenant == tenant,
                                                         _POSTING_LOG.c.pennylane_id.in_(sorted(candidates)))
    with warehouse.engine.connect() as conn:
        return {int(i) for i in conn.execute(query).scalars()}


@dataclass
class JournalGuard:
    """The cutover date and the other-tool check of one tenant, for one client (one run)."""

    tenant: str
    cutover: date | None
    shared_journals: frozenset[str]
    ours: Callable[[set[int]], set[int]] = lambda _ids: set()  # which of these ids we posted
    _seen: dict[int, tuple[date, list[dict[str, Any]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, tenant: TenantConfig, warehouse: Warehouse | None) -> JournalGuard:
        return cls(tenant.slug, tenant.cutover_date, frozenset(tenant.pennylane.shared_journals),
                   (lambda ids: posted_ids(warehouse, tenant.slug, ids)) if warehouse is not None
                   else (lambda _ids: set()))

    def before_entry(self, payload: dict[str, Any], journal_code: str | None, list_entries: ListEntries) -> None:
        """Raise unless an entry ``payload`` (a create or replace body) may be written."""
        if "date" not in payload:
            return
        day = date.fromisoformat(str(payload["date"]))
        if self.cutover is not None and day < self.cutover:
            raise MappingError(
                f"entry dated {day} is before the tenant's cutover date {self.cutover}: days before it belong "
                "to the previous integration and are never posted by this one",
                tenant=self.tenant, day=day.isoformat(), field_name="cutover_date")
        if journal_code in self.shared_journals or "journal_id" not in payload:
            return
        others = [e for e in self._entries(int(payload["journal_id"]), day, list_entries)
                  if e.get("date") == day.isoformat() and not OUR_PIECE_NUMBER.match(str(e.get("piece_number") or ""))]
        mine = self.ours({int(e["id"]) for e in others}) if others else set()
        for entry in others:
            if int(entry["id"]) in mine:
                continue
            raise MappingError(
                f"already posted by another tool: entry {entry['id']}, {entry.get('label')!r} (piece "
                f"{entry.get('piece_number') or 'none'}) in journal {journal_code or payload['journal_id']}: "
                "nothing is posted for this day; stop the other integration (and set cutover_date), or list "
                "the journal in pennylane.shared_journals if it is shared on purpose",
                tenant=self.tenant, day=day.isoformat(), record=str(entry["id"]),
                details={"other_entry": {k: entry.get(k) for k in ("id", "label", "piece_number", "date")}})

    def _entries(self, journal_id: int, day: date, list_entries: ListEntries) -> list[dict[str, Any]]:
        """The journal's entries dated ``day`` or later: read once, widened for an earlier day."""
        with self._lock:
            seen = self._seen.get(journal_id)
            if seen is not None and seen[0] <= day:
                return seen[1]
            filters = [{"field": "journal_id", "operator": "eq", "value": str(journal_id)},
                       {"field": "date", "operator": "gteq", "value": day.isoformat()}]
            if seen is not None:
                filters.append({"field": "date", "operator": "lt", "value": seen[0].isoformat()})
            fresh = list(list_entries(filters))
            entries = fresh + (seen[1] if seen is not None else [])
            self._seen[journal_id] = (day, entries)
            return entries
