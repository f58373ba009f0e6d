"""One rate budget per credential shared by every run, process and pod (issue 12, B10).

Pennylane allows 25 requests per 5 s per token, counted by Pennylane whatever sends them: two
runs of one tenant, or the sales run and the stock sync, each with its own process-local
limiter, would send 50 in 5 s and collect 429s. :class:`WarehouseLimiter` keeps the window's
slots in the warehouse table ``rate_slots`` (one row per request in flight or answered less than
a window ago), so every process using the same warehouse shares one budget per credential.

Taking a slot is one short transaction, serialised per credential: on Postgres by a transaction
advisory lock on the credential's hash, on SQLite by the database's write lock (the transaction
writes first, so the second writer waits for the first to commit). As the process-local
:class:`~resources.http.limiter.SlidingWindowLimiter` (which it extends, so every client takes
either), a slot counts from when its answer arrived (:meth:`settle`), and a 429 fills the window
for ``Retry-After`` (:meth:`penalize`). Times are wall-clock epoch seconds: pods on several
machines need synchronised clocks (NTP), which their margin (0.25 s for Pennylane) absorbs.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from resources.http.limiter import SlidingWindowLimiter
from resources.warehouse import METADATA, Warehouse

rate_slots = sa.Table(
    "rate_slots",
    METADATA,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("credential", sa.String(200), nullable=False),  # <api>|<credential hash>
    sa.Column("at", sa.Float, nullable=False),  # epoch seconds from which the slot counts
    sa.Index("ix_rate_slots_credential", "credential", "at"),
)


class WarehouseLimiter(SlidingWindowLimiter):
    """At most ``limit`` requests per ``window`` seconds for ``credential``, across processes."""

    def __init__(self, warehouse: Warehouse, credential: str, limit: int, window: float):
        super().__init__(limit, window, clock=time.time)
        self.wh = warehouse
        self.credential = credential
        self._key = int.from_bytes(hashlib.sha256(credential.encode()).digest()[:8], "big", signed=True)
        self._where = rate_slots.c.credential == credential

    @contextmanager
    def _locked(self) -> Iterator[sa.Connection]:
        with self.wh.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._key})
            yield conn

    def acquire(self) -> list[float]:
        while True:
            with self._locked() as conn:
                now = self._clock()
                # Written first: on SQLite this takes the write lock for the whole transaction.
                conn.execute(rate_slots.delete().where(self._where, rate_slots.c.at <= now - self.window))
                times = conn.execute(sa.select(rate_slots.c.at).where(self._where)
                                     .order_by(rate_slots.c.at)).scalars().all()
                if len(times) < self.limit:
                    slot_id = conn.execute(rate_slots.insert().values(credential=self.credential, at=now)
                                           ).inserted_primary_key[0]
                    return [float(slot_id)]
                sleep_for = times[0] + self.window - now + 0.001
            time.sleep(max(sleep_for, 0.001))

    def settle(self, slot: list[float]) -> None:
        with self.wh.begin() as conn:
            latest = sa.func.max if conn.dialect.name == "sqlite" else sa.func.greatest  # of two values
            conn.execute(rate_slots.update().where(rate_slots.c.id == int(slot[0]))
                         .values(at=latest(rate_slots.c.at, self._clock())))

    def penalize(self, seconds: float) -> None:
        with self._locked() as conn:
            horizon = self._clock() + seconds - self.window
            conn.execute(rate_slots.delete().where(self._where))
            conn.execute(rate_slots.insert(), [{"credential": self.credential, "at": horizon}] * self.limit)


_SHARED: dict[tuple[str, str], WarehouseLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(warehouse: Warehouse, api: str, key: str, limit: int, window: float) -> WarehouseLimiter:
    """The warehouse-backed limiter of one credential (``key``: a hash, never the secret)."""
    credential = f"{api}|{key}"
    with _SHARED_LOCK:
        lim = _SHARED.get((warehouse.url, credential))
        if lim is None:
            lim = _SHARED[(warehouse.url, credential)] = WarehouseLimiter(warehouse, credential, limit, window)
        return lim
