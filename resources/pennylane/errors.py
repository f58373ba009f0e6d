"""Pennylane's error types: the four error classes of :mod:`core.errors`, carrying the HTTP
``status`` and Pennylane's error body (``details``).

Which status is which class is decided by the one table of :mod:`resources.http.status`:
401/403 (token, scope) and 404 (a journal, account or record missing) → mapping; 409/422 →
source data (:class:`PennylaneDataError`: Pennylane refuses the content built from the day's data);
400 → bug (:class:`PennylaneRequestError`: the request broke the API contract); 429, 5xx and the
network → transient. Pennylane's own rule for writes: a write that may have been stored raises
:class:`PennylaneAmbiguousWriteError` and is never sent again blindly (``resources/posting.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import MappingError, SourceDataError, SyncError, TransientError
from resources.http.status import AmbiguousRequestError, ErrorTypes


@dataclass
class PennylaneError(SyncError):
    """An error answer from Pennylane: HTTP ``status`` (0 when no answer came), Pennylane's
    message and ``details`` (the parsed error body). Concrete subclasses carry the class."""

    status: int = 0

    def __post_init__(self) -> None:
        if not self.status and isinstance(self.details.get("status"), int):
            self.status = self.details["status"]
        super().__post_init__()


@dataclass
class PennylaneTransientError(PennylaneError, TransientError):
    """429, 5xx or a network failure on a read, after retries ran out."""


@dataclass
class PennylaneAmbiguousWriteError(PennylaneTransientError, AmbiguousRequestError):
    """A write may or may not have been stored (5xx, timeout, connection lost after sending).

    Never resend blindly: look the record up first (see ``resources/posting.py``)."""


@dataclass
class PennylaneMappingError(PennylaneError, MappingError):
    """401/403 (token, scope), 404 (a configured journal, account or record is missing)."""


@dataclass
class PennylaneNotFoundError(PennylaneMappingError):
    """404: the record does not exist in this company."""


@dataclass
class PennylaneDataError(PennylaneError, SourceDataError):
    """422/409: Pennylane refuses the content (e.g. "Entry lines are not balanced")."""


@dataclass
class PennylaneRequestError(PennylaneError):
    """400 (or another unexpected 4xx): the request breaks the API contract (a bug on our side)."""


PENNYLANE_ERROR_TYPES: ErrorTypes = {
    "source": PennylaneDataError,
    "mapping": PennylaneMappingError,
    "transient": PennylaneTransientError,
    "bug": PennylaneRequestError,
    "ambiguous": PennylaneAmbiguousWriteError,
    404: PennylaneNotFoundError,
}

HINTS = {
    "mapping": "check the tenant's Pennylane token, its scopes and the configured journal and accounts",
}
