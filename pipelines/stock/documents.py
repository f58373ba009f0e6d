"""Pennylane documents → stored stock documents (versioned by content).

- Customer invoices and credit notes follow the ``customer_invoices`` changelog; on a full
  re-list, every invoice dated from the tenant's start is listed and only those whose
  ``updated_at`` moved are read again with their lines; one missing from the list was deleted.
- Commercial documents (purchasing and shipping orders) have no changelog in the API: new ones
  are found with ``id > highest id seen`` (one call when idle); every ``COMMERCIAL_RESCAN`` (and
  on a full sync) the whole list is read again to catch edits and deletions.

Lines whose product is not tracked (services) are left out; the products and customers a
document names are resolved through the :class:`~pipelines.stock.catalog.Catalog`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.stock.movements import DocLine, StockDocument, to_milli
from pipelines.stock.catalog import Catalog
from pipelines.stock.changelog import read_changelog
from pipelines.stock.sync_run import SyncRun
from resources.stock.store import CursorState

COMMERCIAL_RESCAN = timedelta(hours=6)
INVOICE_SKIP_STATUSES = frozenset({"proforma", "shipping_order", "purchasing_order", "estimate_pending",
                                   "estimate_accepted", "estimate_invoiced", "estimate_denied"})


class Documents:
    """The documents part of one sync run."""

    def __init__(self, run: SyncRun, catalog: Catalog):
        self.run, self.catalog = run, catalog
        self.store, self.client, self.slug, self.cfg, self.report = (
            run.store, run.client, run.slug, run.cfg, run.report)

    def sync_invoices(self, full: bool) -> None:
        ops, relist, save = read_changelog(self.run, "customer_invoices", full)
        seen: set[int] = set()
        if relist:
            # Everything dated from the tenant's start: an invoice edited during the gap may be
            # old. Only invoices whose updated_at moved are re-read with their lines.
            known = self.store.remote_updated_at_index(self.slug)
            listed: set[str] = set()
            since = self.run.tenant.start_date.isoformat()
            for inv in self.client.list_customer_invoices(
                    filters=[{"field": "date", "operator": "gteq", "value": since}]):
                seen.add(int(inv["id"]))
                doc_id = f"pennylane:customer_invoice:{inv['id']}"
                listed.add(doc_id)
                if known.get(doc_id) is not None and known[doc_id] == inv.get("updated_at"):
                    continue
                self._store_invoice(inv)
            for doc_id in known:  # deleted during the gap
                if doc_id.startswith("pennylane:customer_invoice:") and doc_id not in listed:
                    doc = self.store.get_document(self.slug, doc_id)
                    if doc is not None and doc.date >= since:
                        self._deactivate(doc_id)
        for inv_id, op in ops.items():
            if inv_id in seen:
                continue
            doc_id = f"pennylane:customer_invoice:{inv_id}"
            if op == "delete":
                self._deactivate(doc_id)
                continue
            inv = self.run.get_or_none(self.client.get_customer_invoice, inv_id)
            if inv is None:
                self._deactivate(doc_id)
            else:
                self._store_invoice(inv)
        save()

    def _deactivate(self, doc_id: str) -> None:
        doc = self.store.get_document(self.slug, doc_id)
        if doc is not None and doc.active:
            stored = self.store.upsert_document(self.slug, StockDocument(
                doc.doc_id, doc.kind, doc.version, doc.date, doc.location, doc.lines, False, doc.customer,
                doc.order_ref, doc.credited_doc))
            self.report.documents_changed.append(f"{doc_id} v{stored.version} (deleted)")

    def _store_invoice(self, inv: dict[str, Any]) -> None:
        if inv.get("status") in INVOICE_SKIP_STATUSES:
            return
        credit = bool(inv.get("credit_note")) or inv.get("status") == "credit_note" or bool(
            (inv.get("credited_invoice") or {}).get("id"))
        lines = self.client.list_invoice_lines(int(inv["id"]))
        credited = (inv.get("credited_invoice") or {}).get("id")
        self._store_document(
            f"pennylane:customer_invoice:{inv['id']}", "credit_note" if credit else "invoice", inv, lines,
            active=not inv.get("draft", False),
            credited_doc=f"pennylane:customer_invoice:{credited}" if credited else None,
            number=inv.get("invoice_number"))

    def _store_document(self, doc_id: str, kind: str, data: dict[str, Any], lines: list[dict[str, Any]], *,
                        active: bool, credited_doc: str | None = None, number: str | None = None) -> None:
        doc_lines = []
        for line in lines:
            product = self.catalog.product_for_line(line.get("product"))
            if product is None or not product["tracked"]:
                continue
            qty = to_milli(line.get("quantity", "0"), tenant=self.slug, where=f"{doc_id} line {line.get('id')}")
            if kind == "credit_note":
                qty = abs(qty)
            doc_lines.append(DocLine(str(line["id"]), str(product["id"]), qty))
        quote = (data.get("quote") or {}).get("id")
        order_ref = f"quote:{quote}" if quote else None
        customer = self.catalog.customer_for_document(data.get("customer"))
        day = data.get("date") or self._local_today()
        doc = StockDocument(doc_id, kind, 1, day, self.cfg.default_location, tuple(doc_lines), active, customer,
                            order_ref, credited_doc)
        before = self.store.get_document(self.slug, doc_id)
        stored = self.store.upsert_document(self.slug, doc, number=number, remote_updated_at=data.get("updated_at"))
        if before is None or before.version != stored.version:
            self.report.documents_changed.append(f"{doc_id} v{stored.version}")

    def _local_today(self) -> str:
        return self.run.now().astimezone(ZoneInfo(self.run.tenant.timezone)).date().isoformat()

    def sync_commercial_documents(self, full: bool) -> None:
        resource = "commercial_documents"
        state = self.store.cursor(self.slug, resource)
        now = self.run.now()
        rescan = full or state.full_scan_at is None or now - state.full_scan_at > COMMERCIAL_RESCAN
        watermark = int(state.watermark or 0)
        if rescan:
            listed = list(self.client.list_commercial_documents())
        else:
            listed = list(self.client.list_commercial_documents(
                filters=[{"field": "id", "operator": "gt", "value": str(watermark)}]))
        known = {d.doc_id: d for d in self.store.documents(self.slug) if d.doc_id.startswith("pennylane:commercial")}
        updated_at = self.store.remote_updated_at_index(self.slug)
        listed_ids = set()
        for data in listed:
            doc_id = f"pennylane:commercial_document:{data['id']}"
            listed_ids.add(doc_id)
            watermark = max(watermark, int(data["id"]))
            if data.get("document_type") not in ("purchasing_order", "shipping_order"):
                continue
            if doc_id in known and updated_at.get(doc_id) == data.get("updated_at") and known[doc_id].active:
                continue
            lines = self._commercial_lines(int(data["id"]))
            self._store_document(doc_id, data["document_type"], data, lines, active=not data.get("archived_at"),
                                 number=data.get("document_number"))
        if rescan:
            for doc_id, doc in known.items():
                if doc_id not in listed_ids and doc.active:
                    self._deactivate(doc_id)
        self.store.save_cursor(self.slug, resource, CursorState(
            watermark=str(watermark), synced_at=now, full_scan_at=now if rescan else state.full_scan_at))

    def _commercial_lines(self, doc_id: int) -> list[dict[str, Any]]:
        return list(self.client.list_commercial_document_lines(doc_id))
