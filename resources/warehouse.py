"""The warehouse: datasets and state tables in one SQLAlchemy database.

SQLite file by default (``$WAREHOUSE_URL`` or ``sqlite:///$DAGSTER_HOME/warehouse.db``),
Postgres in production (``postgresql+psycopg://...``). Tables are declared on :data:`METADATA`
by the modules that own them (this module: the sales datasets; ``resources/posting.py``: the
posting log; the stock modules: stock tables; all listed in ``resources/migrations/models.py``)
and created by the Alembic migrations in ``resources/migrations``: opening a :class:`Warehouse`
upgrades it to the newest revision first (under a lock, once per process and URL).

A partition write replaces that partition in one transaction (delete + insert), so a re-run of a
tenant-day is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import PrivateAttr

from core.errors import ErrorClass
from core.frames import ClosureTotals, JournalLines, Payments, SalesLines, column_dtypes
from core.statuses import DayStatus
from resources.frame_columns import sql_columns
from resources.migrations import Upgrade, upgrade_engine
from resources.settings import Settings, resolved
from resources.warehouse_bulk import insert_frame, lock_partition, read_frame, upsert
from resources.warehouse_errors import classify_errors

METADATA = sa.MetaData()


def _dataset(name: str, *columns: sa.Column) -> sa.Table:
    """A partitioned dataset: every row carries its tenant and period key."""
    return sa.Table(
        name,
        METADATA,
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),  # partition key: YYYY-MM-DD
        *columns,
        sa.Index(f"ix_{name}_partition", "tenant", "period"),
    )


S = sa.String

# The datasets' columns come from the frames' pandera models (core/frames.py).
sales_lines = _dataset("sales_lines", *sql_columns(SalesLines))
payments = _dataset("payments", *sql_columns(Payments))
closure_totals = _dataset("closure_totals", *sql_columns(ClosureTotals))
journal_lines = _dataset("journal_lines", sa.Column("entry_label", S(512)), *sql_columns(JournalLines))
# Per tenant-day outcome of the source step: complete, waiting (not final yet), with notes.
day_status = sa.Table(
    "day_status",
    METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("period", S(10), primary_key=True),
    # complete | empty | waiting | mapped | posted | failed
    sa.Column("status", S(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("error_class", S(16)),  # when failed: source | mapping | transient | bug
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
# Payment-method names seen per tenant (Toporder "learned from the first file"; all sources).
payment_methods_seen = sa.Table(
    "payment_methods_seen",
    METADATA,
    sa.Column("tenant", S(64), primary_key=True),
    sa.Column("method", S(256), primary_key=True),
    sa.Column("first_seen", S(10), nullable=False),
    sa.Column("last_seen", S(10), nullable=False),
)

# Frame dtypes of each dataset as stored (the partition columns excepted).
DATASET_DTYPES: dict[str, dict[str, str]] = {
    "sales_lines": column_dtypes(SalesLines),
    "payments": column_dtypes(Payments),
    "closure_totals": column_dtypes(ClosureTotals),
    "journal_lines": {"entry_label": "string", **column_dtypes(JournalLines)},
}
DATASETS: dict[str, sa.Table] = {
    "sales_lines": sales_lines,
    "payments": payments,
    "closure_totals": closure_totals,
    "journal_lines": journal_lines,
}


def default_url() -> str:
    settings = Settings()
    if settings.warehouse_url:
        return settings.warehouse_url
    home = settings.home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'warehouse.db'}"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers don't block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return classify_errors(engine)
    return classify_errors(sa.create_engine(url, pool_pre_ping=True))


def upgrade(url: str) -> Upgrade:
    """Migrate the warehouse at ``url`` to the newest revision (``pennylane-sync db upgrade``)."""
    engine = make_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()


_UPGRADED: set[str] = set()


class Warehouse:
    """The warehouse at ``url``. Opening it upgrades its schema unless ``upgrade=False`` (tests of
    the migrations themselves)."""

    def __init__(self, url: str | None = None, engine: sa.Engine | None = None, *, upgrade: bool = True):
        self.url = url or default_url()
        self.engine = engine or make_engine(self.url)
        if upgrade and self.url not in _UPGRADED:
            self.upgrade()

    def upgrade(self) -> Upgrade:
        result = upgrade_engine(self.engine)
        _UPGRADED.add(self.url)
        return result

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    def replace_partition(self, tenant: str, period: str, frames: Mapping[str, pd.DataFrame]) -> None:
        """Replace the rows of several datasets for one partition in one transaction (bulk
        insert; a concurrent writer of the same partition waits, so rows are never doubled)."""
        with self.engine.begin() as conn:
            lock_partition(conn, tenant, period)
            for name, df in frames.items():
                table = DATASETS[name]
                conn.execute(table.delete().where(table.c.tenant == tenant, table.c.period == period))
                insert_frame(conn, table, df, {"tenant": tenant, "period": period})

    def read_partition(self, name: str, tenant: str, period: str) -> pd.DataFrame:
        """One partition of a dataset as a frame typed like the canonical frames."""
        with self.engine.connect() as conn:
            return read_frame(conn, DATASETS[name], {"tenant": tenant, "period": period}, DATASET_DTYPES[name])

    def set_day_status(self, tenant: str, period: str, status: DayStatus, reason: str | None = None,
                       error_class: ErrorClass | None = None) -> None:
        """Store the period's status (the enums' values: a misspelt status fails here)."""
        status = DayStatus(status).value
        error_class = ErrorClass(error_class).value if error_class is not None else None
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        row = {"tenant": tenant, "period": period, "status": status, "reason": reason,
               "error_class": error_class, "first_seen_at": now, "updated_at": now}
        with self.engine.begin() as conn:
            upsert(conn, day_status, [row], ["tenant", "period"], lambda new: {
                "status": new.status, "reason": new.reason, "error_class": new.error_class,
                "updated_at": new.updated_at})

    def get_day_status(self, tenant: str, period: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(day_status).where(
                day_status.c.tenant == tenant, day_status.c.period == period
            )).mappings().first()
        return dict(row) if row else None

    def record_payment_methods(self, tenant: str, period: str, methods: list[str]) -> None:
        t = payment_methods_seen
        rows = [{"tenant": tenant, "method": m, "first_seen": period, "last_seen": period} for m in sorted(set(methods))]
        with self.engine.begin() as conn:
            upsert(conn, t, rows, ["tenant", "method"], lambda new: {
                "first_seen": sa.case((new.first_seen < t.c.first_seen, new.first_seen), else_=t.c.first_seen),
                "last_seen": sa.case((new.last_seen > t.c.last_seen, new.last_seen), else_=t.c.last_seen)})

    def categories_seen(self, tenant: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sales_lines.c.category).where(
                sales_lines.c.tenant == tenant).distinct().order_by(sales_lines.c.category)).all()
        return [r[0] for r in rows if r[0]]

    def seen_payment_methods(self, tenant: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(payment_methods_seen).where(
                payment_methods_seen.c.tenant == tenant).order_by(payment_methods_seen.c.method)
            ).mappings().all()
        return [dict(r) for r in rows]


class WarehouseResource(dg.ConfigurableResource):
    """Dagster resource handing out the process-wide :class:`Warehouse` for a URL."""

    url: str = ""

    _wh: Warehouse | None = PrivateAttr(default=None)

    def get(self) -> Warehouse:
        if self._wh is None:
            self._wh = warehouse_for(resolved(self.url) or default_url())
        return self._wh


_WAREHOUSES: dict[str, Warehouse] = {}


def warehouse_for(url: str) -> Warehouse:
    wh = _WAREHOUSES.get(url)
    if wh is None:
        wh = _WAREHOUSES[url] = Warehouse(url)
    return wh
