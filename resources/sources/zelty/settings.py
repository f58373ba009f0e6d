"""A Zelty tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, IdList, SourceConfig, SourceCredentials, SourceSettings

DEFAULT_BASE_URL = "https://api.zelty.fr/2.10"


class ZeltyCredentials(SourceCredentials):
    api_key: EnvName


class ZeltySettings(SourceSettings):
    # Zelty restaurant ids: each must have its closure before the day is posted; without any, the
    # closures that exist for the day are read
    restaurant_ids: IdList = Field(default_factory=list)


class ZeltyConfig(SourceConfig):
    type: Literal["zelty"]
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://")
    credentials: ZeltyCredentials
    settings: ZeltySettings = Field(default_factory=ZeltySettings)
