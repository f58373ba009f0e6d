"""What every sales source gives the pipeline, and the period it is asked for.

A source module (``resources/sources/<name>.py``) has:

- a client that fetches one period for one tenant over HTTP (httpx), paginating, honouring the
  vendor's rate-limit signals and retrying 429/5xx/connection errors with backoff
  (:mod:`resources.http`), and
- a *pure* parser from the vendor's payloads to the canonical frames
  (:mod:`pipelines.accounting.frames`).

Its ``Source`` class implements :class:`SalesSource` and is registered in
``resources/sources/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines.accounting.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    empty_frame,
)
from resources.tenants import TenantConfig


@dataclass(frozen=True)
class SalesPeriod:
    """A tenant's local business period ``[start, end)`` (one day, or one month)."""

    tenant: TenantConfig
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        """The partition key of the period (its first day)."""
        return self.start.isoformat()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tenant.timezone)

    @property
    def start_local(self) -> datetime:
        return datetime.combine(self.start, time(0), self.tz)

    @property
    def end_local(self) -> datetime:
        return datetime.combine(self.end, time(0), self.tz)

    @property
    def start_utc(self) -> datetime:
        return self.start_local.astimezone(ZoneInfo("UTC"))

    @property
    def end_utc(self) -> datetime:
        return self.end_local.astimezone(ZoneInfo("UTC"))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def contains_local(self, moment: datetime) -> bool:
        """Does an aware timestamp fall in this period, in the tenant's time zone?"""
        return self.start_local <= moment.astimezone(self.tz) < self.end_local


@dataclass
class SourceDay:
    """One period's sales for one tenant, in canonical frames."""

    sales_lines: pd.DataFrame = field(default_factory=lambda: empty_frame(SALES_LINE_COLUMNS))
    payments: pd.DataFrame = field(default_factory=lambda: empty_frame(PAYMENT_COLUMNS))
    closure_totals: pd.DataFrame = field(default_factory=lambda: empty_frame(CLOSURE_COLUMNS))
    # False while the source says the day is not final (closure open, completeness flag off).
    complete: bool = True
    waiting_reason: str | None = None
    # Free-text facts worth showing in the materialization metadata.
    notes: list[str] = field(default_factory=list)
    # Where the data came from (URL, file path), for traceability.
    origin: str = ""

    @property
    def payment_methods_seen(self) -> list[str]:
        return sorted(set(self.payments["method"].astype(str))) if len(self.payments) else []


class SalesSource(Protocol):
    """A source of daily sales for one tenant."""

    def fetch(self, period: SalesPeriod) -> SourceDay:
        """Fetch the period. Raise ``SourceDataError`` for bad data, ``TransientError`` when
        retries are exhausted; return ``SourceDay(complete=False, ...)`` when not final yet."""
        ...

    def close(self) -> None: ...
