"""A Lightspeed (K-Series) tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, IdList, SourceConfig, SourceCredentials, SourceSettings

DEFAULT_BASE_URL = "https://api.lsk.lightspeed.app"


class LightspeedCredentials(SourceCredentials):
    access_token: EnvName  # the merchant's OAuth2 access token, scope financial-api


class LightspeedSettings(SourceSettings):
    # the business location ids to read (GET /f/data/businesses lists them); at least one
    business_location_ids: IdList = Field(min_length=1)


class LightspeedConfig(SourceConfig):
    type: Literal["lightspeed"]
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://")
    credentials: LightspeedCredentials
    settings: LightspeedSettings
