"""Exactly-once posting of ledger entries to Pennylane (DESIGN.md §7).

Pennylane's ``POST /ledger_entries`` is not idempotent, and a failure after sending (timeout,
5xx, connection lost) leaves us not knowing whether the entry exists. The protocol:

1. Record the intent in ``posting_log`` (tenant, period, entry key, piece number, payload hash,
   status ``pending``) BEFORE the POST.
2. POST; on success record Pennylane's id (status ``posted``).
3. Whenever a row is ``pending`` (a retry after an ambiguous failure, or a re-run after a crash
   between POST and step 2), look the entry up in Pennylane by journal + date + deterministic
   piece number BEFORE posting again. Found → adopt its id ("recovered"); not found → POST.
4. A re-run whose payload hash differs from the recorded one replaces the entry in place:
   ``PUT /ledger_entries/{id}`` with the header fields and ``ledger_entry_lines`` update /
   create / delete computed from the entry's current lines (the Company API v2 spec has no
   DELETE for ledger entries). The diff is recomputed from a fresh GET each time, so a PUT
   retried after an ambiguous failure converges to the same result: never two entries.

Steady state costs one request per new entry (journal and account ids are cached per client);
an unchanged re-run costs none.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from core.errors import SourceDataError, TransientError
from core.money import amount_to_cents, cents_to_amount
from resources.pennylane import PennylaneAmbiguousWriteError, PennylaneClient, PennylaneNotFoundError
from resources.tenants import TenantConfig
from resources.warehouse import METADATA, Warehouse

MAX_LINES = 1000
PIECE_NUMBER_MAX = 20  # the spec sets no maximum; 20 keeps it readable and FEC-friendly
MAX_ROUNDS = 4  # ambiguous failures resolved (lookup + resend) within one call

posting_log = sa.Table(
    "posting_log",
    METADATA,
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("period", sa.String(10), nullable=False),
    sa.Column("entry_key", sa.String(128), nullable=False),
    sa.Column("piece_number", sa.String(64), nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | posted | replacing
    sa.Column("pennylane_id", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant", "entry_key", name="uq_posting_log_tenant_entry"),
    sa.Index("ix_posting_log_partition", "tenant", "period"),
)


@dataclass(frozen=True)
class EntryLine:
    account: str
    label: str
    debit_cents: int
    credit_cents: int


@dataclass
class EntryDraft:
    journal_code: str
    journal_label: str
    date: date
    label: str
    piece_number: str
    currency: str
    lines: list[EntryLine] = field(default_factory=list)

    def canonical(self) -> dict[str, Any]:
        """Account NUMBERS (not Pennylane ids): the hash must not depend on the company's ids."""
        return {
            "journal": self.journal_code, "date": self.date.isoformat(), "label": self.label,
            "piece_number": self.piece_number, "currency": self.currency,
            "lines": [[ln.account, ln.label, ln.debit_cents, ln.credit_cents] for ln in self.lines],
        }

    def payload_hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PostingResult:
    pennylane_id: int
    action: Literal["created", "unchanged", "replaced", "recovered"]
    url: str
    payload_hash: str


def deterministic_piece_number(tenant_slug: str, entry_key: str) -> str:
    """A piece number that is the same on every run for one tenant's entry, ≤ 20 characters.

    ``S20261121-3f9a0c1b`` for a date key (readable: the day, then 8 hex of a hash of tenant and
    key so that per-location entries of one day differ); ``S-<16 hex>`` otherwise.
    """
    digest = hashlib.sha256(f"{tenant_slug}|{entry_key}".encode()).hexdigest()
    match = re.match(r"^(\d{4})-(\d{2})(?:-(\d{2}))?", entry_key)
    if match:
        day = "".join(g for g in match.groups() if g)
        return f"S{day}-{digest[:8]}"[:PIECE_NUMBER_MAX]
    return f"S-{digest[:16]}"


def validate_draft(draft: EntryDraft, tenant: str, period: str) -> None:
    if not draft.lines:
        raise SourceDataError("the entry has no lines", tenant=tenant, day=period, record=draft.piece_number)
    if len(draft.lines) > MAX_LINES:
        raise SourceDataError(f"the entry has {len(draft.lines)} lines; Pennylane accepts at most {MAX_LINES}",
                              tenant=tenant, day=period, record=draft.piece_number)
    for i, ln in enumerate(draft.lines):
        if ln.debit_cents < 0 or ln.credit_cents < 0:
            raise SourceDataError(f"line {i} ({ln.account}) has a negative amount", tenant=tenant, day=period,
                                  record=draft.piece_number, field_name="debit/credit")
    debit = sum(ln.debit_cents for ln in draft.lines)
    credit = sum(ln.credit_cents for ln in draft.lines)
    if debit != credit:
        raise SourceDataError(
            f"entry not balanced: debit {cents_to_amount(debit)} ≠ credit {cents_to_amount(credit)}",
            tenant=tenant, day=period, record=draft.piece_number,
        )


def _lines_payload(draft: EntryDraft, account_ids: dict[str, int]) -> list[dict[str, Any]]:
    return [{"debit": cents_to_amount(ln.debit_cents), "credit": cents_to_amount(ln.credit_cents),
             "ledger_account_id": account_ids[ln.account], "label": ln.label} for ln in draft.lines]


def _create_payload(draft: EntryDraft, journal_id: int, account_ids: dict[str, int]) -> dict[str, Any]:
    return {"date": draft.date.isoformat(), "label": draft.label, "journal_id": journal_id,
            "currency": draft.currency, "piece_number": draft.piece_number,
            "ledger_entry_lines": _lines_payload(draft, account_ids)}


def _line_key(line: dict[str, Any]) -> tuple[int, str, int, int]:
    account_id = (line.get("ledger_account") or {}).get("id", line.get("ledger_account_id"))
    return (int(account_id), line.get("label") or "", amount_to_cents(line["debit"]), amount_to_cents(line["credit"]))


def _matches(entry: dict[str, Any], draft: EntryDraft, journal_id: int, account_ids: dict[str, int]) -> bool:
    want = sorted((account_ids[ln.account], ln.label, ln.debit_cents, ln.credit_cents) for ln in draft.lines)
    have = sorted(_line_key(ln) for ln in entry.get("ledger_entry_lines", []))
    journal = (entry.get("journal") or {}).get("id", entry.get("journal_id"))
    return (want == have and entry.get("label") == draft.label and entry.get("date") == draft.date.isoformat()
            and entry.get("piece_number") == draft.piece_number and journal == journal_id)


def _replace_payload(entry: dict[str, Any], draft: EntryDraft, journal_id: int,
                     account_ids: dict[str, int]) -> dict[str, Any]:
    """PUT body turning ``entry`` (fresh GET) into ``draft``: update lines in place, create the
    extra ones, delete the surplus; header fields too."""
    existing = [ln["id"] for ln in entry.get("ledger_entry_lines", [])]
    target = _lines_payload(draft, account_ids)
    update = [{"id": lid, **line} for lid, line in zip(existing, target, strict=False)]
    create = target[len(existing):]
    delete = [{"id": lid} for lid in existing[len(target):]]
    ops: dict[str, Any] = {}
    if update:
        ops["update"] = update
    if create:
        ops["create"] = create
    if delete:
        ops["delete"] = delete
    return {"date": draft.date.isoformat(), "label": draft.label, "journal_id": journal_id,
            "currency": draft.currency, "piece_number": draft.piece_number, "ledger_entry_lines": ops}


class _Log:
    """The posting_log rows of one (tenant, entry_key)."""

    def __init__(self, warehouse: Warehouse, tenant: str, entry_key: str):
        self.wh = warehouse
        self.tenant = tenant
        self.key = entry_key
        self.where = sa.and_(posting_log.c.tenant == tenant, posting_log.c.entry_key == entry_key)

    def read(self) -> dict[str, Any] | None:
        with self.wh.engine.connect() as conn:
            row = conn.execute(sa.select(posting_log).where(self.where)).mappings().first()
        return dict(row) if row else None

    def intend(self, period: str, piece_number: str, payload_hash: str, status: str,
               pennylane_id: int | None) -> None:
        now = datetime.now(UTC)
        with self.wh.begin() as conn:
            if conn.execute(sa.select(posting_log.c.status).where(self.where)).first() is None:
                conn.execute(posting_log.insert().values(
                    tenant=self.tenant, period=period, entry_key=self.key, piece_number=piece_number,
                    payload_hash=payload_hash, status=status, pennylane_id=pennylane_id, created_at=now,
                    updated_at=now))
            else:
                conn.execute(posting_log.update().where(self.where).values(
                    period=period, piece_number=piece_number, payload_hash=payload_hash, status=status,
                    pennylane_id=pennylane_id, updated_at=now))

    def done(self, pennylane_id: int, payload_hash: str) -> None:
        with self.wh.begin() as conn:
            conn.execute(posting_log.update().where(self.where).values(
                status="posted", pennylane_id=pennylane_id, payload_hash=payload_hash,
                updated_at=datetime.now(UTC)))


def _find_posted(client: PennylaneClient, journal_id: int, draft: EntryDraft) -> list[dict[str, Any]]:
    return [e for e in client.list_ledger_entries(journal_id=journal_id, date=draft.date.isoformat())
            if e.get("piece_number") == draft.piece_number]


def post_entry_exactly_once(
    client: PennylaneClient,
    warehouse: Warehouse,
    tenant: TenantConfig,
    period: str,
    entry_key: str,
    draft: EntryDraft,
    create_missing_accounts: bool,
) -> PostingResult:
    """Make Pennylane hold exactly one entry for (tenant, entry_key), equal to ``draft``."""
    slug = tenant.slug
    validate_draft(draft, slug, period)
    payload_hash = draft.payload_hash()
    log = _Log(warehouse, slug, entry_key)
    row = log.read()
    if row and row["status"] == "posted" and row["payload_hash"] == payload_hash and row["pennylane_id"]:
        return PostingResult(int(row["pennylane_id"]), "unchanged", _url(client, row["pennylane_id"]), payload_hash)

    try:
        journal_id = client.journal_id(draft.journal_code, draft.journal_label, create=True)
        account_ids = client.ledger_account_ids([ln.account for ln in draft.lines], create_missing_accounts)
    except Exception as exc:
        if hasattr(exc, "with_context"):
            exc.with_context(tenant=slug, day=period)
        raise

    last_error: Exception | None = None
    for _round in range(MAX_ROUNDS):
        row = log.read()
        try:
            if row and row["pennylane_id"] and row["status"] in ("posted", "replacing"):
                return _replace(client, log, row, draft, journal_id, account_ids, period, payload_hash)
            if row is not None:  # pending: a POST may have been stored; look before posting again
                found = _find_posted(client, journal_id, draft)
                if found:
                    return _adopt(client, log, found[0], draft, journal_id, account_ids, period, payload_hash)
            log.intend(period, draft.piece_number, payload_hash, "pending", None)
            created = client.create_ledger_entry(_create_payload(draft, journal_id, account_ids))
            log.done(int(created["id"]), payload_hash)
            return PostingResult(int(created["id"]), "created", _url(client, created["id"]), payload_hash)
        except (PennylaneAmbiguousWriteError, TransientError) as exc:
            last_error = exc  # the intent row stays: the next round looks the entry up first
            continue
    assert last_error is not None
    if hasattr(last_error, "with_context"):
        last_error.with_context(tenant=slug, day=period)
    raise last_error


def _adopt(client: PennylaneClient, log: _Log, entry: dict[str, Any], draft: EntryDraft, journal_id: int,
           account_ids: dict[str, int], period: str, payload_hash: str) -> PostingResult:
    """A pending intent whose entry is already in Pennylane: record it (fix it if it differs)."""
    full = client.get_ledger_entry(entry["id"]) if "ledger_entry_lines" not in entry else entry
    if _matches(full, draft, journal_id, account_ids):
        log.done(int(entry["id"]), payload_hash)
        return PostingResult(int(entry["id"]), "recovered", _url(client, entry["id"]), payload_hash)
    log.intend(period, draft.piece_number, payload_hash, "replacing", int(entry["id"]))
    client.update_ledger_entry(entry["id"], _replace_payload(full, draft, journal_id, account_ids))
    log.done(int(entry["id"]), payload_hash)
    return PostingResult(int(entry["id"]), "replaced", _url(client, entry["id"]), payload_hash)


def _replace(client: PennylaneClient, log: _Log, row: dict[str, Any], draft: EntryDraft, journal_id: int,
             account_ids: dict[str, int], period: str, payload_hash: str) -> PostingResult:
    entry_id = int(row["pennylane_id"])
    try:
        current = client.get_ledger_entry(entry_id)
    except PennylaneNotFoundError:
        # Deleted in Pennylane (by hand): forget the id and post it again through the intent path.
        log.intend(period, draft.piece_number, payload_hash, "pending", None)
        raise TransientError(f"ledger entry {entry_id} no longer exists in Pennylane; posting it again") from None
    if _matches(current, draft, journal_id, account_ids):
        log.done(entry_id, payload_hash)
        return PostingResult(entry_id, "unchanged" if row["status"] == "posted" and row["payload_hash"] == payload_hash
                             else "replaced", _url(client, entry_id), payload_hash)
    log.intend(period, draft.piece_number, payload_hash, "replacing", entry_id)
    client.update_ledger_entry(entry_id, _replace_payload(current, draft, journal_id, account_ids))
    log.done(entry_id, payload_hash)
    return PostingResult(entry_id, "replaced", _url(client, entry_id), payload_hash)


def _url(client: PennylaneClient, entry_id: int) -> str:
    return f"{client.base_url}/ledger_entries/{int(entry_id)}"
