"""A Zettle tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, SourceConfig, SourceCredentials, SourceSettings

DEFAULT_BASE_URL = "https://purchase.izettle.com"
DEFAULT_OAUTH_URL = "https://oauth.zettle.com"
MAX_LIMIT = 1000


class ZettleCredentials(SourceCredentials):
    client_id: EnvName  # the self-hosted app's client id
    api_key: EnvName  # the API key (the assertion of the OAuth assertion grant)


class ZettleSettings(SourceSettings):
    oauth_base_url: str = Field(default=DEFAULT_OAUTH_URL, pattern=r"^https?://")
    page_limit: int = Field(default=MAX_LIMIT, ge=1, le=MAX_LIMIT)
    # how long after the day's end it is final (card readers sync late)
    settle_hours: float = Field(default=6.0, ge=0)
    location: str = ""  # the location name given to every line (Zettle has no location)


class ZettleConfig(SourceConfig):
    type: Literal["zettle"]
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://")
    credentials: ZettleCredentials
    settings: ZettleSettings = Field(default_factory=ZettleSettings)
