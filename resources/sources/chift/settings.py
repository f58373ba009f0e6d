"""A Chift tenant's ``source:`` block."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from core.tenants import EnvName, IdList, SourceConfig, SourceCredentials, SourceSettings

DEFAULT_BASE_URL = "https://api.chift.eu"
MAX_PAGE_SIZE = 100


def _uuid(value: str) -> str:
    uuid.UUID(value)  # ValueError: "badly formed hexadecimal UUID string"
    return value


class ChiftCredentials(SourceCredentials):
    client_id: EnvName
    client_secret: EnvName
    account_id: EnvName


class ChiftSettings(SourceSettings):
    consumer_id: Annotated[str, AfterValidator(_uuid)]  # the tenant, as a Chift consumer (a UUID)
    # sent as x-chift-connectionid when the consumer has several POS connections
    connection_id: str | None = None
    location_ids: IdList | None = None  # default: every location of the consumer
    require_closed_closure: bool = True  # the day waits until Chift says ``closed``
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ChiftConfig(SourceConfig):
    type: Literal["chift"]
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://")
    credentials: ChiftCredentials
    settings: ChiftSettings
