"""A Hiboutik tenant's ``source:`` block."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from core.tenants import EnvName, SourceConfig, SourceCredentials, SourceSettings


class HiboutikCredentials(SourceCredentials):
    user: EnvName  # the user's login
    api_key: EnvName


class HiboutikSettings(SourceSettings):
    store_id: Annotated[str, BeforeValidator(str)] = "1"
    # SKUs of the product a shop rings up as a tip (Hiboutik has no tip field)
    tip_skus: frozenset[Annotated[str, BeforeValidator(str)]] = frozenset()
    account: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")  # {account}.hiboutik.com


class HiboutikConfig(SourceConfig):
    type: Literal["hiboutik"]
    base_url: str | None = Field(default=None, pattern=r"^https?://")  # https://{account}.hiboutik.com/api
    credentials: HiboutikCredentials
    settings: HiboutikSettings = Field(default_factory=HiboutikSettings)

    @model_validator(mode="after")
    def _base_url_or_account(self) -> HiboutikConfig:
        if not self.base_url and not self.settings.account:
            raise ValueError("Hiboutik needs source.base_url or source.settings.account")
        return self

    @property
    def api_url(self) -> str:
        return self.base_url or f"https://{self.settings.account}.hiboutik.com/api"
