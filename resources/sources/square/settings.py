"""A Square tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, IdList, SourceConfig, SourceCredentials, SourceSettings

DEFAULT_BASE_URL = "https://connect.squareup.com"
# The version the spec in ../shared/specs/square-connect-api.json documents.
DEFAULT_SQUARE_VERSION = "2025-08-20"
SEARCH_LIMIT = 500  # Square default 500, max 1000


class SquareCredentials(SourceCredentials):
    access_token: EnvName  # scopes ORDERS_READ, PAYMENTS_READ, MERCHANT_PROFILE_READ


class SquareSettings(SourceSettings):
    location_ids: IdList | None = None  # default: every ACTIVE location
    square_version: str = Field(default=DEFAULT_SQUARE_VERSION, pattern=r"^\d{4}-\d{2}-\d{2}$")
    # how long after a location's midnight its day is final (offline POS orders sync late)
    settle_hours: float = Field(default=6.0, ge=0)
    page_limit: int = Field(default=SEARCH_LIMIT, ge=1, le=1000)


class SquareConfig(SourceConfig):
    type: Literal["square"]
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://")
    credentials: SquareCredentials
    settings: SquareSettings = Field(default_factory=SquareSettings)
