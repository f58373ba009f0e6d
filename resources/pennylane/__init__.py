"""Pennylane Company API v2: the client (:mod:`.client`), its error types (:mod:`.errors`) and the
Dagster resource (:mod:`.resource`). Amounts are built with :mod:`core.money`."""

from resources.pennylane.client import (
    ACCOUNTS_PAGE_LIMIT,
    PAGE_LIMIT,
    RATE_LIMIT_REQUESTS,
    RATE_LIMIT_WINDOW,
    PennylaneClient,
    token_hash,
)
from resources.pennylane.errors import (
    PennylaneAmbiguousWriteError,
    PennylaneDataError,
    PennylaneError,
    PennylaneMappingError,
    PennylaneNotFoundError,
    PennylaneRequestError,
    PennylaneSetupRefusal,
    PennylaneTransientError,
)
from resources.pennylane.resource import PennylaneResource

__all__ = [
    "ACCOUNTS_PAGE_LIMIT", "PAGE_LIMIT", "RATE_LIMIT_REQUESTS", "RATE_LIMIT_WINDOW", "PennylaneAmbiguousWriteError",
    "PennylaneClient", "PennylaneDataError", "PennylaneError", "PennylaneMappingError", "PennylaneNotFoundError",
    "PennylaneRequestError", "PennylaneResource", "PennylaneSetupRefusal", "PennylaneTransientError", "token_hash",
]
