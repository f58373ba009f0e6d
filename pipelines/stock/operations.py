"""What a user (UI or CLI) does to the stock side: local edits, merges, connection, import now.

Every function takes the :class:`StockStore` and the tenant; none of the local edits calls
Pennylane directly: the next sync pushes names/SKUs/e-mails (two-way sync), and deleting or
deactivating a product is never sent at all (seed 004).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from core.errors import MappingError
from core.stock.movements import from_milli
from pipelines.stock.ledger import compute_levels, local_today
from pipelines.stock.sync import run_stock_sync
from resources.stock.store import StockStore, utcnow
from resources.tenants import TenantConfig


def _product(store: StockStore, tenant: str, product_id: int) -> dict[str, Any]:
    prod = store.product(tenant, product_id)
    if prod is None:
        raise MappingError("unknown product", tenant=tenant, record=f"product {product_id}")
    return prod


def edit_product(store: StockStore, tenant: str, product_id: int, *, name: str | None = None,
                 sku: str | None = None, at: datetime | None = None) -> None:
    """Rename a product or change its SKU locally; the next sync sends it to Pennylane."""
    _product(store, tenant, product_id)
    values: dict[str, Any] = {"local_changed_at": at or utcnow()}
    if name is not None:
        values["name"] = name
    if sku is not None:
        values["sku"] = sku or None
    store.update_product(tenant, product_id, **values)


def deactivate_product(store: StockStore, tenant: str, product_id: int) -> None:
    """Local only: Pennylane is not touched and the product stops being pushed."""
    _product(store, tenant, product_id)
    store.update_product(tenant, product_id, active=False)
    store.log(tenant, "deactivated", f"product {product_id}", "deactivated locally (Pennylane untouched)")


def delete_product(store: StockStore, tenant: str, product_id: int) -> None:
    """Local only: hidden from levels (its movements stay in the ledger), Pennylane untouched."""
    _product(store, tenant, product_id)
    store.update_product(tenant, product_id, deleted=True, active=False)
    store.log(tenant, "deleted", f"product {product_id}", "deleted locally (Pennylane untouched)")


def merge_products(store: StockStore, tenant: str, duplicate_id: int, into_id: int) -> None:
    """Merge a duplicate (e.g. flagged because its Pennylane id changed) into the original: its
    stock is counted on the original from now on, for every day (levels resolve the alias)."""
    dup, into = _product(store, tenant, duplicate_id), _product(store, tenant, into_id)
    if dup["id"] == into["id"]:
        raise MappingError("cannot merge a product into itself", tenant=tenant, record=f"product {duplicate_id}")
    store.update_product(tenant, duplicate_id, merged_into=into["id"], merge_status="merged")
    if dup["pennylane_id"] is not None and (into["remote_deleted"] or into["pennylane_id"] is None):
        # The original's Pennylane record is gone: it now follows the new Pennylane id.
        store.update_product(tenant, into["id"], pennylane_id=dup["pennylane_id"], remote_deleted=False,
                             synced_name=dup["synced_name"], synced_sku=dup["synced_sku"])
        store.update_product(tenant, duplicate_id, pennylane_id=None)
    store.log(tenant, "merged", f"product {duplicate_id}", f"merged into product {into['id']}")


def dismiss_merge(store: StockStore, tenant: str, product_id: int) -> None:
    """The flagged product is really a different product: keep both."""
    _product(store, tenant, product_id)
    store.update_product(tenant, product_id, merge_status="dismissed")


def merge_flags(store: StockStore, tenant: str) -> list[dict[str, Any]]:
    """Products flagged as probable duplicates, waiting for a merge or a dismissal."""
    return [p for p in store.products(tenant) if p["merge_status"] == "flagged"]


def create_customer(store: StockStore, tenant: str, *, name: str, email: str | None, address: str,
                    postal_code: str, city: str, country_alpha2: str = "FR",
                    customer_type: str = "company") -> dict[str, Any]:
    """A customer created locally; the next sync creates it in Pennylane (name, e-mail, address)."""
    if customer_type not in ("company", "individual"):
        raise MappingError(f"customer_type must be company or individual, not {customer_type!r}", tenant=tenant,
                           record=f"customer {name}", field_name="customer_type")
    addr = {"address": address, "postal_code": postal_code, "city": city, "country_alpha2": country_alpha2}
    return store.insert_customer(tenant, customer_type=customer_type, name=name, email=email,
                                 address=json.dumps(addr), local_changed_at=utcnow())


def edit_customer(store: StockStore, tenant: str, customer_id: int, *, name: str | None = None,
                  email: str | None = None, at: datetime | None = None) -> None:
    if store.customer(tenant, customer_id) is None:
        raise MappingError("unknown customer", tenant=tenant, record=f"customer {customer_id}")
    values: dict[str, Any] = {"local_changed_at": at or utcnow()}
    if name is not None:
        values["name"] = name
    if email is not None:
        values["email"] = email
    store.update_customer(tenant, customer_id, **values)


def disconnect(store: StockStore, tenant: str) -> None:
    """Stop syncing with Pennylane. Everything is kept (cursors, documents, ledger, links)."""
    store.set_connected(tenant, False)
    store.log(tenant, "disconnected", tenant, "stock sync with Pennylane stopped (history kept)")


def reconnect(store: StockStore, tenant: str) -> None:
    """Resume syncing from the stored changelog cursors (or the date fallback if they are too old)."""
    store.set_connected(tenant, True)
    store.log(tenant, "reconnected", tenant, "stock sync with Pennylane resumed from the stored cursors")


def import_now(tenant: TenantConfig, client, store: StockStore, *, full: bool = False):
    """"Importer les factures maintenant": the same sync as the schedule, for one tenant, now."""
    return run_stock_sync(tenant, client, store, full=full)


def current_levels(store: StockStore, tenant: TenantConfig, day: str | None = None):
    """Levels (as a frame with product name/SKU and quantities as decimals) for display."""
    frame = compute_levels(store, tenant, day or local_today(tenant), write=False)
    names = {str(p["id"]): (p["name"], p["sku"]) for p in store.products(tenant.slug)}
    frame = frame.assign(
        name=[names.get(p, ("?", None))[0] for p in frame["product"]],
        sku=[names.get(p, ("?", None))[1] for p in frame["product"]],
        on_hand=[from_milli(v) for v in frame["on_hand_milli"]],
        reserved=[from_milli(v) for v in frame["reserved_milli"]],
        available=[from_milli(v) for v in frame["available_milli"]],
    )
    return frame[["product", "name", "sku", "location", "on_hand", "reserved", "available"]]
