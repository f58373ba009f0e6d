"""The emulator's state: one SQLite file shared by every process that opens it.

Pennylane's records are kept as JSON documents (``records``: kind, id, company, data), with
global id sequences per kind (ids are unique across companies, as in Pennylane) and a
changelog table feeding ``GET /changelogs/{resource}``. Because the state is a file, the demo,
``dagster dev`` runs and tests can all look at what "Pennylane" received (see the ``summary``
CLI), and an emulator restarted on the same file keeps its companies and entries.

Companies are isolated by construction: every read and write takes the company id that the
bearer token resolved to.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT NOT NULL, reg_no TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id INTEGER NOT NULL, company_id INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS ix_records_company ON records (company_id, kind);
CREATE TABLE IF NOT EXISTS changelog (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, company_id INTEGER NOT NULL, resource TEXT NOT NULL,
    record_id INTEGER NOT NULL, operation TEXT NOT NULL, processed_at TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_changelog ON changelog (company_id, resource, seq);
"""

# Resources with a changelog endpoint in the spec that the emulator models.
CHANGELOG_RESOURCES = ("customer_invoices", "customers", "products", "supplier_invoices", "suppliers")

DEFAULT_SCOPES = [
    "customers:all", "products:all", "customer_invoices:all", "commercial_documents:readonly",
    "suppliers:all", "supplier_invoices:all", "journals:all", "ledger_accounts:all",
    "ledger_entries:all", "file_attachments:all",
]


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Store:
    """Thread-safe access to the emulator's SQLite file."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = str(path)
        self._lock = threading.RLock()
        target = f"file:{Path(self.path).resolve()}?mode=ro" if read_only else self.path
        self._conn = sqlite3.connect(target, check_same_thread=False, timeout=30, isolation_level=None,
                                     uri=read_only)
        self._conn.row_factory = sqlite3.Row
        if not read_only:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------ clock
    def now(self) -> datetime:
        """Emulated "now": real time shifted by the offset set through /_emulator/clock."""
        offset = float(self.get_meta("clock_offset_seconds") or 0)
        return datetime.now(UTC) + timedelta(seconds=offset)

    def set_now(self, when: datetime | None) -> None:
        offset = 0.0 if when is None else (when - datetime.now(UTC)).total_seconds()
        self.set_meta("clock_offset_seconds", str(offset))

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def next_id(self, kind: str, start: int = 1000) -> int:
        with self._lock:
            cur = int(self.get_meta(f"seq:{kind}") or start)
            self.set_meta(f"seq:{kind}", str(cur + 1))
            return cur + 1

    # -------------------------------------------------------------- companies
    def register_company(self, token: str, name: str, reg_no: str | None = None,
                         scopes: list[str] | None = None) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute("SELECT * FROM companies WHERE token = ?", (token,)).fetchone()
            if row is not None:
                return dict(row)
            cid = self.next_id("company", 100)
            self._conn.execute(
                "INSERT INTO companies (id, token, name, reg_no, scopes) VALUES (?, ?, ?, ?, ?)",
                (cid, token, name, reg_no or f"{cid:09d}", json.dumps(scopes or DEFAULT_SCOPES)),
            )
            return dict(self._conn.execute("SELECT * FROM companies WHERE id = ?", (cid,)).fetchone())

    def company_for_token(self, token: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT * FROM companies WHERE token = ?", (token,)).fetchone()
        return dict(row) if row else None

    def companies(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._conn.execute("SELECT * FROM companies ORDER BY id")]

    # ---------------------------------------------------------------- records
    def insert(self, kind: str, company_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if "id" not in data:
                data["id"] = self.next_id(kind)
            self._conn.execute(
                "INSERT INTO records (kind, id, company_id, data) VALUES (?, ?, ?, ?)",
                (kind, data["id"], company_id, json.dumps(data)),
            )
            return data

    def update(self, kind: str, company_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._conn.execute(
                "UPDATE records SET data = ? WHERE kind = ? AND id = ? AND company_id = ?",
                (json.dumps(data), kind, data["id"], company_id),
            )
            return data

    def delete(self, kind: str, company_id: int, record_id: int) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM records WHERE kind = ? AND id = ? AND company_id = ?", (kind, record_id, company_id)
            )

    def get(self, kind: str, company_id: int, record_id: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT data FROM records WHERE kind = ? AND id = ? AND company_id = ?", (kind, record_id, company_id)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str, company_id: int) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT data FROM records WHERE kind = ? AND company_id = ? ORDER BY id", (kind, company_id)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def transaction(self) -> _Transaction:
        return _Transaction(self)

    # -------------------------------------------------------------- changelog
    def log_change(self, company_id: int, resource: str, record_id: int, operation: str,
                   created_at: str, updated_at: str) -> None:
        if resource not in CHANGELOG_RESOURCES:
            return
        with self._lock:
            self._conn.execute(
                "INSERT INTO changelog (company_id, resource, record_id, operation, processed_at, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (company_id, resource, record_id, operation, iso(self.now()), created_at, updated_at),
            )

    def changes(self, company_id: int, resource: str, *, after_seq: int = 0,
                since: datetime | None = None, not_before: datetime | None = None) -> Iterator[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT * FROM changelog WHERE company_id = ? AND resource = ? AND seq > ? ORDER BY seq",
            (company_id, resource, after_seq),
        ).fetchall()
        for row in rows:
            processed = parse_ts(row["processed_at"])
            if since is not None and processed < since:
                continue
            if not_before is not None and processed < not_before:
                continue  # past the 4-week retention
            yield dict(row)


class _Transaction:
    """``with store.transaction():`` groups several writes into one SQLite transaction."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> Store:
        self.store._lock.acquire()
        self.store._conn.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
