"""What Pennylane's books hold for a tenant's sales journal, read back over a date range.

Two cursor-paginated lists per range, whatever its length: ``GET /ledger_entries`` and
``GET /ledger_entry_lines`` filtered on the journal and the dates (100 items a page), joined on
the entry id; plus one filtered ``GET /ledger_accounts`` for the account labels of a FEC. Used
by the FEC export (the entries this system posted, as Pennylane holds them) and by the monthly
reconciliation (every entry of the journal, ours or not, against the journal lines we posted).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from core.accounting.fec import FecEntry, FecLine
from core.accounting.pcg import label_for
from core.accounting.reconciliation import BookedLine
from core.money import amount_to_cents
from core.periods import NotAPeriodStart, sales_period
from core.tenants import TenantConfig
from resources.pennylane import PennylaneClient
from resources.posting import posting_log
from resources.warehouse import Warehouse, journal_lines


@dataclass(frozen=True)
class BookLine:
    account: str
    label: str
    debit_cents: int
    credit_cents: int


@dataclass(frozen=True)
class BookEntry:
    id: int
    date: date
    label: str
    piece_number: str
    lines: tuple[BookLine, ...]


@dataclass(frozen=True)
class PostedRecord:
    """A ``posting_log`` row in the posted state: which Pennylane entry is ours, since when."""

    period: str
    entry_key: str
    piece_number: str
    posted_at: datetime


def _range_filter(journal_id: int, start: date, end: date) -> list[dict[str, str]]:
    return [{"field": "journal_id", "operator": "eq", "value": str(journal_id)},
            {"field": "date", "operator": "gteq", "value": start.isoformat()},
            {"field": "date", "operator": "lteq", "value": end.isoformat()}]


def read_journal(client: PennylaneClient, journal_id: int, start: date, end: date) -> list[BookEntry]:
    """Every entry of the journal dated in ``[start, end]`` with its lines, as Pennylane holds it."""
    flt = _range_filter(journal_id, start, end)
    lines: dict[int, list[BookLine]] = defaultdict(list)
    for item in client.paginate("ledger_entry_lines", filters=flt, sort="id", what="list journal lines"):
        lines[int(item["ledger_entry"]["id"])].append(BookLine(
            account=str(item["ledger_account"]["number"]), label=item.get("label") or "",
            debit_cents=amount_to_cents(item["debit"]), credit_cents=amount_to_cents(item["credit"])))
    entries = []
    for item in client.paginate("ledger_entries", filters=flt, sort="id", what="list journal entries"):
        entries.append(BookEntry(id=int(item["id"]), date=date.fromisoformat(item["date"]), label=item["label"],
                                 piece_number=item.get("piece_number") or "",
                                 lines=tuple(lines.get(int(item["id"]), ()))))
    return sorted(entries, key=lambda e: (e.date, e.id))


def posted_records(warehouse: Warehouse, tenant: str) -> dict[int, PostedRecord]:
    """This system's posted entries of ``tenant``, by Pennylane id."""
    query = sa.select(posting_log.c.pennylane_id, posting_log.c.period, posting_log.c.entry_key,
                      posting_log.c.piece_number, posting_log.c.updated_at).where(
        posting_log.c.tenant == tenant, posting_log.c.status == "posted", posting_log.c.pennylane_id.is_not(None))
    with warehouse.begin() as conn:
        return {int(r.pennylane_id): PostedRecord(r.period, r.entry_key, r.piece_number, r.updated_at)
                for r in conn.execute(query)}


def account_labels(client: PennylaneClient, numbers: list[str]) -> dict[str, str]:
    """Each account's label as the company's chart names it (the PCG label when it has none)."""
    found = {a["number"]: a.get("label") or "" for a in client.list_ledger_accounts(numbers)} if numbers else {}
    return {n: found.get(n) or _pcg_label(n) for n in numbers}


def _pcg_label(number: str) -> str:
    try:
        return label_for(number)
    except ValueError:
        return number


def fec_entries(client: PennylaneClient, warehouse: Warehouse, tenant: TenantConfig,
                start: date, end: date) -> list[FecEntry]:
    """The entries this system posted for ``tenant`` dated in ``[start, end]``, as Pennylane holds
    them now (an entry edited by hand shows its edited lines), with Pennylane's account labels."""
    journal_id = client.journal_id(tenant.pennylane.journal_code, tenant.pennylane.journal_label, create=False)
    ours = posted_records(warehouse, tenant.slug)
    book = [e for e in read_journal(client, journal_id, start, end) if e.id in ours]
    labels = account_labels(client, sorted({ln.account for e in book for ln in e.lines}))
    return [FecEntry(
        journal_code=tenant.pennylane.journal_code, journal_label=tenant.pennylane.journal_label, date=e.date,
        piece_ref=e.piece_number or ours[e.id].piece_number, label=e.label,
        validated_on=ours[e.id].posted_at.date(), currency=tenant.currency,
        lines=tuple(FecLine(ln.account, labels[ln.account], ln.label or e.label, ln.debit_cents,
                            ln.credit_cents) for ln in e.lines),
    ) for e in book]


def booked_lines(client: PennylaneClient, tenant: TenantConfig, start: date, end: date) -> list[BookedLine]:
    """Every line of the tenant's sales journal dated in ``[start, end]``, as Pennylane holds it
    (none when the journal does not exist yet)."""
    journal = {j["code"]: j["id"] for j in client.list_journals()}.get(tenant.pennylane.journal_code)
    if journal is None:
        return []
    return [BookedLine(e.date, ln.account, ln.debit_cents, ln.credit_cents, f"#{e.id} {e.piece_number}".strip())
            for e in read_journal(client, journal, start, end) for ln in e.lines]


def expected_lines(warehouse: Warehouse, tenant: TenantConfig, start: date, end: date) -> list[BookedLine]:
    """The journal lines of every entry the posting log records as posted, dated in
    ``[start, end]`` (a period's entry is dated on its last day)."""
    posted = {(r.period, r.entry_key) for r in posted_records(warehouse, tenant.slug).values()}
    dated = {}
    for period, _ in posted:
        try:
            day = sales_period(tenant, period).accounting_date
        except NotAPeriodStart:
            continue
        if start <= day <= end:
            dated[period] = day
    if not dated:
        return []
    query = sa.select(journal_lines.c.period, journal_lines.c.entry_key, journal_lines.c.account,
                      journal_lines.c.debit_cents, journal_lines.c.credit_cents).where(
        journal_lines.c.tenant == tenant.slug, journal_lines.c.period.in_(sorted(dated)))
    with warehouse.begin() as conn:
        rows = conn.execute(query).all()
    return [BookedLine(dated[r.period], str(r.account), int(r.debit_cents), int(r.credit_cents))
            for r in rows if (r.period, r.entry_key) in posted]
