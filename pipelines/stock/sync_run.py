"""What the parts of one stock sync run share: the tenant, the Pennylane client, the store, the
clock, the report, and the records already handled in this run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.errors import http_status_of
from resources.stock.store import StockStore
from resources.tenants import TenantConfig


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def aware(ts: datetime | None) -> datetime | None:
    """A timestamp read back from the database (naive on SQLite) as UTC."""
    if ts is None:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class SyncReport:
    tenant: str
    skipped: str | None = None
    requests: int = 0
    changelog_calls: dict[str, int] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)
    documents_changed: list[str] = field(default_factory=list)
    products_created: list[int] = field(default_factory=list)
    customers_created: list[int] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    receipts_sent: list[str] = field(default_factory=list)
    movements_added: int = 0
    seconds: float = 0.0


@dataclass
class SyncRun:
    """One run for one tenant. ``client`` is a :class:`resources.pennylane.PennylaneClient` (or
    anything with the same methods); ``now`` is injectable for tests (emulated clock)."""

    tenant: TenantConfig
    client: Any
    store: StockStore
    now: Callable[[], datetime]
    report: SyncReport
    handled_products: set[int] = field(default_factory=set)  # Pennylane ids read in this run
    handled_customers: set[int] = field(default_factory=set)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def cfg(self):
        return self.tenant.stock

    def get_or_none(self, getter: Callable[[int], dict[str, Any]], record_id: int) -> dict[str, Any] | None:
        """A Pennylane record, or None when Pennylane answers 404 (deleted)."""
        try:
            return getter(record_id)
        except Exception as exc:
            if http_status_of(exc) == 404:
                return None
            raise
