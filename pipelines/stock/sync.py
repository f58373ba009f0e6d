"""Incremental sync of one tenant's stock data with Pennylane (seed 004).

One :class:`StockSync` run, in order:

1. **Changelogs** (``products``, ``customers``, ``customer_invoices``) from the stored cursor,
   with a date-filter re-list when the cursor is older than the retention
   (:mod:`pipelines.stock.changelog`);
2. **Products and customers** both ways, most recent change wins (:mod:`pipelines.stock.catalog`);
3. **Invoices, credit notes, purchasing and shipping orders** stored as versioned documents
   (:mod:`pipelines.stock.documents`);
4. **Goods receipts** waiting to be sent, sent as supplier invoices, exactly once
   (:mod:`pipelines.stock.supplier_invoices`).

Then :func:`~pipelines.stock.ledger.update_movements` turns document versions into ledger
movements and :func:`~pipelines.stock.ledger.compute_levels` writes end-of-day levels.
:func:`run_stock_sync` does all three: it is "import now" without Dagster (the assets do the same
steps, one per asset).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from pipelines.stock.catalog import Catalog
from pipelines.stock.documents import Documents
from pipelines.stock.ledger import compute_levels, local_today, update_movements
from pipelines.stock.supplier_invoices import send_receipt
from pipelines.stock.sync_run import SyncReport, SyncRun
from resources.stock.store import StockStore, utcnow
from resources.tenants import TenantConfig


class StockSync:
    """One sync run for one tenant. ``client`` is a :class:`resources.pennylane.PennylaneClient`
    (or anything with the same methods); ``now`` is injectable for tests (emulated clock)."""

    def __init__(self, tenant: TenantConfig, client, store: StockStore, *,
                 now: Callable[[], datetime] | None = None):
        self.tenant = tenant
        self.client = client
        self.store = store
        self.report = SyncReport(tenant.slug)
        self._run = SyncRun(tenant, client, store, now or (lambda: datetime.now(UTC)), self.report)

    def run(self, *, full: bool = False) -> SyncReport:
        started = time.perf_counter()
        before = getattr(self.client, "requests_sent", 0)
        if not self.store.is_connected(self.tenant.slug):
            self.report.skipped = "disconnected from Pennylane (history kept; reconnect to resume)"
            return self.report
        catalog = Catalog(self._run)
        documents = Documents(self._run, catalog)
        catalog.sync_products(full)
        catalog.sync_customers(full)
        documents.sync_invoices(full)
        documents.sync_commercial_documents(full)
        catalog.push_local_products()
        catalog.push_local_customers()
        if self.tenant.stock.send_receipts_as_supplier_invoices:
            for rec in self.store.receipts(self.tenant.slug):
                if rec["send_status"] in ("pending", "sending"):
                    send_receipt(self.store, self.tenant, self.client, rec["receipt_id"])
                    self.report.receipts_sent.append(rec["receipt_id"])
        self.report.requests = getattr(self.client, "requests_sent", 0) - before
        self.report.seconds = time.perf_counter() - started
        return self.report


def run_stock_sync(tenant: TenantConfig, client, store: StockStore, *, day: str | None = None, full: bool = False,
                   now: Callable[[], datetime] | None = None) -> SyncReport:
    """Sync, update the ledger and write the levels of ``day`` (default: tenant-local today)."""
    report = StockSync(tenant, client, store, now=now).run(full=full)
    if report.skipped:
        return report
    report.movements_added = len(update_movements(store, tenant))
    compute_levels(store, tenant, day or local_today(tenant, (now or utcnow)()))
    return report
