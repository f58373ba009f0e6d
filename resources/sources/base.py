"""What every sales source gives the pipeline, and the period it is asked for.

A source package (``resources/sources/<vendor>/``) has:

- a client that fetches one period for one tenant over HTTP, on the vendor HTTP base
  (:mod:`resources.http`: retries with backoff, tokens, the status table, Link paging), and
- a *pure* parser from the vendor's payloads to the canonical frames (:mod:`core.frames`).

Its ``Source`` class implements :class:`SalesSource` and is registered in
:mod:`resources.sources.registry`.
"""

from __future__ import annotations

from typing import Protocol

from core.frames import SourceDay
from core.periods import SalesPeriod

__all__ = ["SalesPeriod", "SalesSource", "SourceDay"]


class SalesSource(Protocol):
    """A source of daily sales for one tenant."""

    def fetch(self, period: SalesPeriod) -> SourceDay:
        """Fetch the period. Raise ``SourceDataError`` for bad data, ``TransientError`` when
        retries are exhausted; return ``SourceDay(complete=False, ...)`` when not final yet."""
        ...

    def close(self) -> None: ...
