"""A Toporder tenant's ``source:`` block (a push source: no API, an inbox)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field

from core.tenants import EnvName, SourceConfig, SourceCredentials, SourceSettings

# Generated identifiers: 32 chars of lowercase base32 (160 random bits). Lowercase only, so that
# a case-insensitive file system or bucket can never merge two tenants' inboxes.
IDENTIFIER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{15,63}$")


class ToporderCredentials(SourceCredentials):
    callback_token: EnvName | None = None  # bearer token for the rejection callback, if Toporder wants one


class ToporderSettings(SourceSettings):
    # pins the inbox identifier (moving a tenant between deployments); default: a new random one
    identifier: str | None = Field(default=None, pattern=IDENTIFIER_RE.pattern)
    activated_on: date | None = None  # default: the day of the activation
    callback_url: str | None = Field(default=None, pattern=r"^https?://")  # rejection reports are POSTed here
    extra_vat_rates: tuple[str, ...] = ()  # VAT rates accepted besides mainland France's, e.g. ["8.5"]
    include_regional_vat_rates: bool = False  # Corsica and overseas rates


class ToporderConfig(SourceConfig):
    type: Literal["toporder"]
    credentials: ToporderCredentials = Field(default_factory=ToporderCredentials)
    settings: ToporderSettings = Field(default_factory=ToporderSettings)
