"""A Shopify tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, SourceConfig, SourceCredentials, SourceSettings

API_VERSION = "2025-10"
PAGE_LIMIT = 250  # Shopify's maximum


class ShopifyCredentials(SourceCredentials):
    access_token: EnvName  # the Admin API access token of the shop's custom app


class ShopifySettings(SourceSettings):
    api_version: str = Field(default=API_VERSION, pattern=r"^(\d{4}-\d{2}|unstable)$")
    leak_rate: float = Field(default=2.0, gt=0)  # requests/s the shop's plan leaks (2 on Standard)
    settle_minutes: int = Field(default=15, ge=0)  # how long after the shop's midnight a day is final
    page_limit: int = Field(default=PAGE_LIMIT, ge=1, le=PAGE_LIMIT)


class ShopifyConfig(SourceConfig):
    type: Literal["shopify"]
    base_url: str = Field(pattern=r"^https?://")  # https://{shop}.myshopify.com
    credentials: ShopifyCredentials
    settings: ShopifySettings = Field(default_factory=ShopifySettings)
