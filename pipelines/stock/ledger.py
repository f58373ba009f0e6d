"""Stored documents → movement ledger → end-of-day levels, for one tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from core.errors import TransientError
from core.stock.levels import levels_at
from core.stock.movements import Movement, StockOptions, plan_movements
from resources.stock.store import StockStore


def update_movements(store: StockStore, tenant) -> list[Movement]:
    """Append the movements that bring the ledger in line with the documents' current versions."""
    options = StockOptions.from_config(tenant.stock)
    for _attempt in range(10):
        ledger = store.movements(tenant.slug)
        new = plan_movements(store.documents(tenant.slug), ledger, options)
        if store.append_movements(tenant.slug, new, expected_size=len(ledger)) is not None:
            return new
        # Another run appended meanwhile: plan again from the new ledger.
    raise TransientError("the stock ledger kept changing while planning (10 attempts)", tenant=tenant.slug)


def compute_levels(store: StockStore, tenant, day: str | date, *, write: bool = True) -> pd.DataFrame:
    """End-of-day levels per product × location (merged duplicates counted on the product they
    were merged into; deleted products hidden unless they still hold stock)."""
    day = str(day)
    aliases = store.product_aliases(tenant.slug)
    movements = [m if m.product not in aliases else Movement(
        m.key, m.doc_id, m.kind, m.version, m.line_id, aliases[m.product], m.location, m.date, m.on_hand,
        m.reserved, m.returned, m.reason) for m in store.movements(tenant.slug, up_to=day)]
    products = [str(p["id"]) for p in store.products(tenant.slug)
                if p["tracked"] and not p["deleted"] and str(p["id"]) not in aliases]
    frame = levels_at(movements, day, locations=tenant.stock.locations, products=products)
    if write:
        store.replace_levels(tenant.slug, day, frame)
    return frame


def local_today(tenant, now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tenant.timezone)).date().isoformat()
