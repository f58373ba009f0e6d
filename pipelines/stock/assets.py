"""Stock assets, partitioned like the sales pipeline (tenant × local business day).

- ``pennylane_documents``  runs the incremental sync for the partition's tenant (changelogs,
                           commercial documents, products, customers, receipts to send) and
                           reports the documents dated that day.
- ``stock_movements``      appends the movements the document versions call for (idempotent)
                           and reports those dated that day; check: every movement traceable.
- ``stock_levels``         end-of-day levels per product × location for the day (and, when the
                           day is before the tenant's today, today's running levels too, so the
                           latest figures are always in the table); check: negative available.

The sync is tenant-wide (a changelog is not per day), so any date partition of a tenant brings
the whole tenant up to date; the schedule runs the latest one every 30 minutes.
"""


import dagster as dg

from pipelines.partitions import split_key, tenant_day_partitions
from pipelines.stock.checks import (
    StockLevelsModel,
    StockMovementsModel,
    movements_frame,
    negative_available_rows,
    schema_errors,
    untraceable,
)
from pipelines.stock.ledger import compute_levels, local_today, update_movements
from pipelines.stock.sync import StockSync
from resources.pennylane import PennylaneResource
from resources.stock.store import StockStore
from resources.tenants import TenantConfig, TenantRegistryResource
from resources.warehouse import WarehouseResource

GROUP = "stock"


def _resolve(context, tenants: TenantRegistryResource) -> tuple[TenantConfig, str]:
    slug, day = split_key(context.partition_key)
    return tenants.get(slug), day


def _disabled(tenant: TenantConfig) -> str | None:
    if not tenant.stock.enabled:
        return "stock sync is not enabled for this tenant"
    if not tenant.active:
        return "tenant is disconnected"
    return None


@dg.asset(partitions_def=tenant_day_partitions, group_name=GROUP, kinds={"pennylane"},
          description="Pennylane invoices, credit notes, purchasing and shipping orders (changelog sync).")
def pennylane_documents(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        tenants: TenantRegistryResource, pennylane: PennylaneResource) -> dg.MaterializeResult:
    tenant, day = _resolve(context, tenants)
    reason = _disabled(tenant)
    if reason:
        return dg.MaterializeResult(metadata={"skipped": reason})
    wh = warehouse.get()
    store = StockStore(wh)
    # "Import now" with a full re-list (UI launch tag or `pennylane-sync stock import-now --full`).
    full = context.run.tags.get("pennylane-sync/full") == "true"
    report = StockSync(tenant, pennylane.client_for(tenant, wh), store).run(full=full)
    frame = store.documents_frame(tenant.slug, day)
    return dg.MaterializeResult(metadata={
        "skipped": report.skipped or "",
        "requests": report.requests,
        "changelog_calls": dg.MetadataValue.json(report.changelog_calls),
        "documents_changed": dg.MetadataValue.json(report.documents_changed),
        "fallbacks": dg.MetadataValue.json(report.fallbacks),
        "conflicts": dg.MetadataValue.json(report.conflicts),
        "receipts_sent": dg.MetadataValue.json(report.receipts_sent),
        "documents_dated_this_day": len(frame),
        "seconds": round(report.seconds, 3),
    })


@dg.asset(partitions_def=tenant_day_partitions, group_name=GROUP, deps=[pennylane_documents],
          check_specs=[dg.AssetCheckSpec("movements_traceable", asset="stock_movements",
                                         description="Every movement comes from a Pennylane document or a receipt.")],
          description="Stock movement ledger keyed by (document, version, line); compensations on edits.")
def stock_movements(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                    tenants: TenantRegistryResource):
    tenant, day = _resolve(context, tenants)
    store = StockStore(warehouse.get())
    reason = _disabled(tenant)
    added = [] if reason else update_movements(store, tenant)
    all_movements = store.movements(tenant.slug)
    day_movements = [m for m in all_movements if m.date == day]
    yield dg.MaterializeResult(metadata={"skipped": reason or "", "movements_added": len(added),
                                         "movements_dated_this_day": len(day_movements),
                                         "ledger_size": len(all_movements)})
    doc_ids = {d.doc_id for d in store.documents(tenant.slug)}
    orphans = untraceable(all_movements, doc_ids)
    errors = schema_errors(StockMovementsModel, movements_frame(all_movements)) if all_movements else None
    yield dg.AssetCheckResult(
        check_name="movements_traceable", passed=not orphans and errors is None,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"untraceable": dg.MetadataValue.json([m.key for m in orphans[:50]]),
                  "untraceable_count": len(orphans),
                  "schema_failures": dg.MetadataValue.md(errors.head(20).to_markdown() if errors is not None else "")},
    )


@dg.asset(partitions_def=tenant_day_partitions, group_name=GROUP, deps=[stock_movements],
          check_specs=[dg.AssetCheckSpec("no_negative_available", asset="stock_levels",
                                         description="No negative available stock unless backorders are allowed.")],
          description="End-of-day stock per product × location: on hand, reserved, available.")
def stock_levels(context: dg.AssetExecutionContext, warehouse: WarehouseResource, tenants: TenantRegistryResource):
    tenant, day = _resolve(context, tenants)
    store = StockStore(warehouse.get())
    levels = compute_levels(store, tenant, day)
    today = local_today(tenant)
    if day < today and tenant.stock.enabled:
        compute_levels(store, tenant, today)
    errors = schema_errors(StockLevelsModel, levels)
    if errors is not None:
        raise ValueError(f"tenant {tenant.slug}, day {day}: stock levels broke their invariants:\n{errors}")
    yield dg.MaterializeResult(metadata={
        "rows": len(levels), "products": int(levels["product"].nunique()) if len(levels) else 0,
        "on_hand_total": int(levels["on_hand_milli"].sum()) // 1000 if len(levels) else 0,
    })
    negative = negative_available_rows(levels, tenant.stock.allow_backorders)
    names = {str(p["id"]): p["name"] for p in store.products(tenant.slug)}
    listing = [f"{names.get(r.product, r.product)} @ {r.location}: available {r.available_milli / 1000:g}"
               for r in negative.itertuples()]
    yield dg.AssetCheckResult(
        check_name="no_negative_available", passed=not listing, severity=dg.AssetCheckSeverity.WARN,
        metadata={"negative": dg.MetadataValue.json(listing), "count": len(listing),
                  "allow_backorders": tenant.stock.allow_backorders},
    )


stock_assets = [pennylane_documents, stock_movements, stock_levels]
stock_sync_job = dg.define_asset_job(
    "stock_sync_job", selection=dg.AssetSelection.assets(*stock_assets),
    description="Stock sync of one tenant (the schedule every 30 min, or \"import now\").",
)
