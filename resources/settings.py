"""Where the environment is read.

:func:`secret` resolves a credential from the environment variable that a tenant file names
(``token_env: PENNYLANE_TOKEN_ACME``); the value is never logged or put in an error.
"""

from __future__ import annotations

import os

from core.errors import MappingError

__all__ = ["secret"]


def secret(env_name: str, *, tenant: str | None = None, what: str = "credential") -> str:
    """Resolve a secret from the environment. The value is never logged or put in errors."""
    value = os.environ.get(env_name)
    if not value:
        raise MappingError(f"{what}: environment variable {env_name} is not set", tenant=tenant)
    return value
