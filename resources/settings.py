"""Where the environment is read: :class:`Settings` declares every deployment variable, typed, and
:func:`secret` resolves a credential from the variable that a tenant file names
(``token_env: PENNYLANE_TOKEN_ACME``); a secret's value is never logged or put in an error.

``Settings()`` reads the environment when it is built. Callers build it where they need a value
rather than caching it for the process: ``DAGSTER_HOME`` and ``TOPORDER_INBOX_DIR`` are set by the
process itself (``pipelines.inprocess.ensure_dagster_home``, the demo) after the modules load.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import MappingError

__all__ = ["Settings", "secret"]


class Settings(BaseSettings):
    """The deployment's environment variables (names are the fields in upper case)."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    dagster_deployment: Literal["local", "prod"] = "local"
    """``local``: the emulators and a SQLite warehouse by default; ``prod``: every resource setting
    from its environment variable (see ``pipelines/definitions.py``)."""
    dagster_home: Path | None = None
    warehouse_url: str = ""
    """SQLAlchemy URL of the warehouse (default: SQLite under ``DAGSTER_HOME``). Holds a password:
    resources take it as ``dg.EnvVar("WAREHOUSE_URL")``, never as a value."""
    tenants_dir: Path | None = None
    pennylane_base_url: str = ""
    """Pennylane base URL for every tenant (the emulator, staging), over the tenant files' own."""
    toporder_inbox_dir: Path | None = None
    alert_routes: str = ""
    dagster_webserver_url: str = "http://127.0.0.1:3000"
    sales_partitions_start: str = "2025-01-01"
    pennylane_sync_log_level: str = "WARNING"

    def home(self) -> Path:
        """``DAGSTER_HOME``, else ``./.dagster_home``."""
        return self.dagster_home or Path.cwd() / ".dagster_home"

    def inbox_root(self) -> Path:
        """``TOPORDER_INBOX_DIR``, else ``$DAGSTER_HOME/toporder-inbox``."""
        return self.toporder_inbox_dir or self.home() / "toporder-inbox"

    def routes(self) -> list[str]:
        """``ALERT_ROUTES``: Apprise URLs separated by commas or spaces."""
        return [r for r in re.split(r"[,\s]+", self.alert_routes) if r]


def secret(env_name: str, *, tenant: str | None = None, what: str = "credential") -> str:
    """Resolve a secret from the environment. The value is never logged or put in errors."""
    value = os.environ.get(env_name)
    if not value:
        raise MappingError(f"{what}: environment variable {env_name} is not set", tenant=tenant)
    return value


def resolved(value: str) -> str:
    """A resource field's value: an ``EnvVar`` is resolved from the environment. Dagster does it
    when it builds a run's resources; code that uses a resource object directly (the CLI's
    in-process runs, the demo) gets the variable's *name* otherwise."""
    return (value.get_value() or "") if isinstance(value, dg.EnvVar) else value
