"""A WooCommerce tenant's ``source:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.tenants import EnvName, SourceConfig, SourceCredentials, SourceSettings

PER_PAGE = 100  # WooCommerce's maximum
DEFAULT_TIP_FEE_NAMES = ("Tip", "Pourboire", "Gratuity")


class WooCommerceCredentials(SourceCredentials):
    consumer_key: EnvName
    consumer_secret: EnvName


class WooCommerceSettings(SourceSettings):
    # consumer key/secret as query parameters, for servers that strip the Authorization header
    query_string_auth: bool = False
    settle_minutes: int = Field(default=15, ge=0)  # how long after midnight a day is final
    per_page: int = Field(default=PER_PAGE, ge=1, le=PER_PAGE)
    # fee lines with these names (tip plugins) are tips, not sales
    tip_fee_names: tuple[str, ...] = DEFAULT_TIP_FEE_NAMES
    # the day an order is booked: the day it was paid (``date_paid``) or completed (``date_completed``)
    book_on: Literal["paid", "completed"] = "paid"


class WooCommerceConfig(SourceConfig):
    type: Literal["woocommerce"]
    base_url: str = Field(pattern=r"^https?://")  # the site root, e.g. https://shop.example
    credentials: WooCommerceCredentials
    settings: WooCommerceSettings = Field(default_factory=WooCommerceSettings)
