"""What every sales source gives the pipeline, and the period it is asked for.

A source package (``resources/sources/<vendor>/``) has:

- a client that fetches one period for one tenant over HTTP, on the vendor HTTP base
  (:mod:`resources.http`: retries with backoff, tokens, the status table, Link paging), and
- a *pure* parser from the vendor's payloads to the canonical frames (:mod:`core.frames`).

Its ``Source`` class implements :class:`SalesSource` and is registered in
:mod:`resources.sources.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import VendorApi
from resources.sources.common import day_errors, normalise_text, refuse_french_day_without_vat

__all__ = ["ApiSource", "SalesPeriod", "SalesSource", "SourceDay"]


class SalesSource(Protocol):
    """A source of daily sales for one tenant."""

    def fetch(self, period: SalesPeriod) -> SourceDay:
        """Fetch the period. Raise ``SourceDataError`` for bad data, ``TransientError`` when
        retries are exhausted; return ``SourceDay(complete=False, ...)`` when not final yet."""
        ...

    def close(self) -> None: ...


class ApiSource(ABC):
    """Base of the sources read from a vendor API through ``self.client``: every error raised
    while reading a period names the tenant and the day (a source reading day by day names each
    day itself), and closing the source closes its client."""

    tenant: TenantConfig
    client: VendorApi

    def fetch(self, period: SalesPeriod) -> SourceDay:
        with day_errors(self.tenant.slug, period.key):
            day = self.read(period)
            if day.complete:
                normalise_text(day)
                refuse_french_day_without_vat(day, self.tenant)
            return day

    @abstractmethod
    def read(self, period: SalesPeriod) -> SourceDay:
        """The period's sales (see :meth:`SalesSource.fetch`)."""

    def close(self) -> None:
        self.client.close()
