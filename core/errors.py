"""Error taxonomy shared by every part of the product.

Every failure that can stop a tenant-day is one of four classes, because each class has a
different owner and a different cure (DESIGN.md §5 and §10):

- ``source``    the data the till / shop sent is wrong (debit ≠ credit, unknown VAT rate, closure
                totals that do not match the orders). The source system has to fix it; Toporder is
                told automatically.
- ``mapping``   the accounting configuration is incomplete or wrong (unmapped category in strict
                mode, unknown journal, missing Pennylane scope). The accountant fixes it.
- ``transient`` network errors, 429, 5xx. Retried automatically; alert only when retries run out.
- ``bug``       anything else: an unexpected exception is our problem.

Every error carries the tenant, the business day, and where possible the record and the field, so
that the alert and the log line say exactly what to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class ErrorClass(StrEnum):
    """The four classes; the value is what the warehouse, the run metadata and the alerts carry."""

    SOURCE = "source"
    MAPPING = "mapping"
    TRANSIENT = "transient"
    BUG = "bug"

    @property
    def owner(self) -> str:
        """Who fixes a failure of this class (said in every alert)."""
        return _OWNERS[self]

    @classmethod
    def of(cls, value: object) -> ErrorClass:
        """The class named ``value``; anything unknown or missing is a ``bug``."""
        return cls(value) if value in cls._value2member_map_ else cls.BUG


_OWNERS = {
    ErrorClass.SOURCE: "the source system (till / shop) must fix its data; Toporder is told automatically",
    ErrorClass.MAPPING: "the accountant must complete the mapping or the Pennylane configuration",
    ErrorClass.TRANSIENT: "temporary failure, retried automatically; the data team looks if it persists",
    ErrorClass.BUG: "the data team (unexpected error)",
}


@dataclass
class SyncError(Exception):
    """Base class. ``str(err)`` is a full sentence naming tenant, day, record and field."""

    message: str
    tenant: str | None = None
    day: str | None = None
    record: str | None = None
    field_name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    error_class: ClassVar[ErrorClass] = ErrorClass.BUG

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.tenant:
            where.append(f"tenant {self.tenant}")
        if self.day:
            where.append(f"day {self.day}")
        if self.record:
            where.append(f"record {self.record}")
        if self.field_name:
            where.append(f"field {self.field_name}")
        prefix = f"[{self.error_class}] " + (", ".join(where) + ": " if where else "")
        return prefix + self.message

    def with_context(self, *, tenant: str | None = None, day: str | None = None) -> SyncError:
        """Fill in tenant/day when a lower layer raised without knowing them."""
        if tenant and not self.tenant:
            self.tenant = tenant
        if day and not self.day:
            self.day = day
        self.args = (self.__str__(),)
        return self


class SourceDataError(SyncError):
    """The source's data is wrong; the till/shop must fix it (reported back to Toporder)."""

    error_class = ErrorClass.SOURCE


class MappingError(SyncError):
    """The tenant's accounting mapping or Pennylane configuration must be fixed."""

    error_class = ErrorClass.MAPPING


class TransientError(SyncError):
    """Temporary failure (network, 429, 5xx); safe to retry."""

    error_class = ErrorClass.TRANSIENT


class DayNotReady(Exception):
    """The source says the day is not final yet (closure open, completeness flag false).

    Not a failure: the partition is *waiting*. The asset records it and ends without posting;
    a later run (schedule or sensor) looks again. Only past the tenant's deadline does the
    waiting turn into a ``SourceDataError`` and an alert.
    """

    def __init__(self, reason: str, *, tenant: str | None = None, day: str | None = None):
        self.reason = reason
        self.tenant = tenant
        self.day = day
        super().__init__(f"tenant {tenant}, day {day}: not final yet: {reason}")


def error_class_of(exc: BaseException) -> ErrorClass:
    """Classify any exception for alerts. HTTP clients raise ``TransientError`` for network
    failures (``resources.http``); a bare timeout or connection error is transient too."""
    if isinstance(exc, SyncError):
        return exc.error_class
    if isinstance(exc, TimeoutError | ConnectionError):
        return ErrorClass.TRANSIENT
    return ErrorClass.BUG


def http_status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an exception, if it carries one (``status``, ``status_code``,
    ``details["status"]`` or an httpx ``response``)."""
    for attr in ("status", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    details = getattr(exc, "details", None)
    if isinstance(details, dict) and isinstance(details.get("status"), int):
        return details["status"]
    return getattr(getattr(exc, "response", None), "status_code", None)
