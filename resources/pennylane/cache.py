"""What Pennylane told us, kept in the warehouse so that every run and pod shares it (issue 12,
"Requests"; issue 13, point 1).

- ``pennylane_me``: the ``GET /me`` answer per token (by hash, never the token) and calendar day
  (UTC). A run checks the company once a day per token, whatever the number of runs or pods;
  the verdict is recomputed from the stored answer against the tenant file each time, so an edited
  tenant file is judged again without a request.
- ``pennylane_ids``: journal ids (by code) and ledger-account ids (by number) per Pennylane
  company. Ids are stable in Pennylane; a cached id that Pennylane answers 404 for is forgotten
  (:meth:`PennylaneCache.forget`) and looked up again.

Keys carry the API base URL, so a staging API, the emulator and production never share an entry.
Writes are upserts (``ON CONFLICT DO UPDATE`` on SQLite and Postgres): two runs caching the same
answer at once both succeed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from resources.warehouse import METADATA, Warehouse

IdKind = Literal["journal", "account"]

pennylane_me = sa.Table(
    "pennylane_me",
    METADATA,
    sa.Column("account", sa.String(300), primary_key=True),  # <base URL>|<token hash>
    sa.Column("checked_on", sa.Date, primary_key=True),
    sa.Column("company_id", sa.BigInteger, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),  # the /me JSON: company and scopes (no token)
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

pennylane_ids = sa.Table(
    "pennylane_ids",
    METADATA,
    sa.Column("company", sa.String(300), primary_key=True),  # <base URL>|<company id>
    sa.Column("kind", sa.String(16), primary_key=True),  # journal | account
    sa.Column("key", sa.String(64), primary_key=True),  # journal code | account number
    sa.Column("pennylane_id", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=keys,
                                      set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys})
    conn.execute(stmt)


class PennylaneCache:
    """The warehouse's Pennylane answers (see the module docstring)."""

    def __init__(self, warehouse: Warehouse):
        self.wh = warehouse

    # ------------------------------------------------------------------ /me
    def me(self, account: str, day: date) -> dict[str, Any] | None:
        with self.wh.engine.connect() as conn:
            answer = conn.execute(sa.select(pennylane_me.c.answer).where(
                pennylane_me.c.account == account, pennylane_me.c.checked_on == day)).scalar()
        return json.loads(answer) if answer else None

    def save_me(self, account: str, day: date, me: dict[str, Any]) -> None:
        kept = {"company": me.get("company") or {}, "scopes": list(me.get("scopes") or [])}
        with self.wh.begin() as conn:
            _upsert(conn, pennylane_me, [{
                "account": account, "checked_on": day, "company_id": int(kept["company"].get("id") or 0),
                "answer": json.dumps(kept, ensure_ascii=False), "checked_at": datetime.now(UTC),
            }], ["account", "checked_on"])
            conn.execute(pennylane_me.delete().where(pennylane_me.c.account == account,
                                                     pennylane_me.c.checked_on < day))

    # ------------------------------------------------------------------ ids
    def ids(self, company: str, kind: IdKind, keys: Iterable[str] | None = None) -> dict[str, int]:
        """The cached ids of ``kind`` for ``company`` (all of them when ``keys`` is None)."""
        query = sa.select(pennylane_ids.c.key, pennylane_ids.c.pennylane_id).where(
            pennylane_ids.c.company == company, pennylane_ids.c.kind == kind)
        if keys is not None:
            query = query.where(pennylane_ids.c.key.in_(sorted(set(keys))))
        with self.wh.engine.connect() as conn:
            return {k: int(v) for k, v in conn.execute(query)}

    def save_ids(self, company: str, kind: IdKind, ids: dict[str, int]) -> None:
        now = datetime.now(UTC)
        with self.wh.begin() as conn:
            _upsert(conn, pennylane_ids, [
                {"company": company, "kind": kind, "key": k, "pennylane_id": int(v), "updated_at": now}
                for k, v in sorted(ids.items())
            ], ["company", "kind", "key"])

    def forget(self, company: str) -> None:
        """Pennylane said one of this company's ids is gone: look them all up again next time."""
        with self.wh.begin() as conn:
            conn.execute(pennylane_ids.delete().where(pennylane_ids.c.company == company))
