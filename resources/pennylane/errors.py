"""Pennylane's error types: the four error classes of :mod:`core.errors`, carrying the HTTP
``status`` and Pennylane's error body (``details``).

Which status is which class is decided by the one table of :mod:`resources.http.status`:
401/403 (token, scope) and 404 (a journal, account or record missing) → mapping; 400 → bug
(:class:`PennylaneRequestError`: the request broke the API contract); 429, 5xx and the network →
transient.

A 409/422 is Pennylane *refusing* what we sent (:class:`PennylaneDataError`). That is never the
till's or the shop's fault: the source's data reached Pennylane only through our mapping and our
checks (balance, VAT, line count), so a refusal is either a *bug* (the request we built breaks a
business rule we should have enforced: unbalanced lines, too many lines, a negative amount) or a
*mapping* error (the company's setup refuses it: a closed or frozen period, a disabled or archived
account, a reference the company already holds) — :func:`refusal` decides from Pennylane's words,
and neither is ever reported to the source. Pennylane's own rule for writes: a write that may have been stored raises
:class:`PennylaneAmbiguousWriteError` and is never sent again blindly (``resources/posting.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import MappingError, SyncError, TransientError
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
class PennylaneDataError(PennylaneError):
    """409/422: Pennylane refuses the request (e.g. "Entry lines are not balanced"): a *bug*, the
    request we built breaks a rule we should have enforced. Never a source error."""


@dataclass
class PennylaneSetupRefusal(PennylaneDataError, MappingError):
    """409/422 caused by the company's setup (closed period, disabled account, a reference the
    company already holds): a *mapping* error, for the accountant."""


# Pennylane's words for a refusal that comes from the company's own setup, not from our request.
SETUP_WORDS = re.compile(
    r"fiscal year|closed|frozen|locked|archived|disabled|not enabled|not activated|"
    r"already been taken|already exists|permission",
    re.IGNORECASE,
)


def refusal(err: PennylaneDataError) -> PennylaneDataError:
    """``err`` (a 409/422) classed: :class:`PennylaneSetupRefusal` when Pennylane's message names
    the company's setup, else unchanged (a bug). ``details["refused_by"]`` marks it Pennylane's."""
    err.details.setdefault("refused_by", "pennylane")
    if isinstance(err, PennylaneSetupRefusal) or not SETUP_WORDS.search(err.message):
        return err
    hint = "the Pennylane company's setup refuses it: check its fiscal years, accounts and journals"
    return PennylaneSetupRefusal(f"{err.message}; {hint}", tenant=err.tenant, day=err.day, record=err.record,
                                 field_name=err.field_name, details=err.details, status=err.status)


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
    "source": "Pennylane refused the request (not the source's data)",
}
