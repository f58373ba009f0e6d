"""Activating the Toporder integration: a random, unguessable identifier per tenant, stored with
the activation date, and the tenant's inbox directory under :func:`inbox_root`."""

from __future__ import annotations

import base64
import logging
import secrets as _secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.errors import MappingError
from core.tenants import TenantConfig
from resources.settings import Settings
from resources.sources.common import source_config
from resources.sources.toporder.settings import ToporderConfig
from resources.warehouse import METADATA, Warehouse

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"

toporder_activations = sa.Table(
    "toporder_activations",
    METADATA,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("identifier", sa.String(64), nullable=False, unique=True),
    sa.Column("activated_on", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Activation:
    identifier: str
    activated_on: date
    inbox_path: Path
    tenant: str = ""


def inbox_root() -> Path:
    """``$TOPORDER_INBOX_DIR``, else ``$DAGSTER_HOME/toporder-inbox`` (read at call time)."""
    return Settings().inbox_root()


def new_identifier() -> str:
    """A random, unguessable, slug-safe identifier (160 bits, lowercase base32)."""
    return base64.b32encode(_secrets.token_bytes(20)).decode("ascii").lower()


def _activation_from_row(row: Any) -> Activation:
    activated_on = row["activated_on"]
    if isinstance(activated_on, str):  # some drivers hand dates back as text
        activated_on = date.fromisoformat(activated_on)
    return Activation(
        identifier=row["identifier"], activated_on=activated_on,
        inbox_path=inbox_root() / row["identifier"], tenant=row["tenant"],
    )


def activation_for(warehouse: Warehouse, tenant_slug: str) -> Activation | None:
    with warehouse.engine.connect() as conn:
        row = conn.execute(sa.select(toporder_activations).where(
            toporder_activations.c.tenant == tenant_slug)).mappings().first()
    return _activation_from_row(row) if row else None


def activations(warehouse: Warehouse) -> dict[str, Activation]:
    """Every activation, by identifier."""
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(toporder_activations)).mappings().all()
    return {r["identifier"]: _activation_from_row(r) for r in rows}


def activate(warehouse: Warehouse, tenant: TenantConfig, activated_on: date | None = None) -> Activation:
    """Activate the Toporder integration for ``tenant``; idempotent (returns the existing one).

    The identifier is ``source.settings.identifier`` when the tenant config pins one (moving a
    tenant between deployments), else a new random token. The activation date defaults to
    ``source.settings.activated_on``, else today in the tenant's time zone.
    """
    if tenant.source.type != "toporder":
        raise MappingError(f"source type is {tenant.source.type!r}, not 'toporder'", tenant=tenant.slug)
    settings = source_config(tenant, ToporderConfig).settings
    existing = activation_for(warehouse, tenant.slug)
    if existing is not None:
        _make_inbox_dirs(existing.inbox_path)
        return existing
    identifier = settings.identifier or new_identifier()
    if activated_on is None:
        activated_on = settings.activated_on or datetime.now(ZoneInfo(tenant.timezone)).date()
    try:
        with warehouse.begin() as conn:
            conn.execute(toporder_activations.insert().values(
                tenant=tenant.slug, identifier=identifier, activated_on=activated_on,
                created_at=datetime.now(UTC),
            ))
    except sa.exc.IntegrityError as exc:
        existing = activation_for(warehouse, tenant.slug)
        if existing is not None:  # activated concurrently: same answer
            return existing
        raise MappingError(f"identifier {identifier!r} is already used by another tenant",
                           tenant=tenant.slug) from exc
    act = Activation(identifier, activated_on, inbox_root() / identifier, tenant.slug)
    _make_inbox_dirs(act.inbox_path)
    log.info("Toporder activated for %s on %s (inbox %s)", tenant.slug, activated_on, act.inbox_path)
    return act


def _make_inbox_dirs(path: Path) -> None:
    (path / PROCESSED).mkdir(parents=True, exist_ok=True)
    (path / REJECTED).mkdir(parents=True, exist_ok=True)
