"""Incremental sync of one tenant's stock data with Pennylane (seed 004).

One :class:`StockSync` run, in order:

1. **Changelogs** (``products``, ``customers``, ``customer_invoices``) from the stored cursor.
   A cursor older than the 4-week retention (minus a day of safety) is not trusted: events may
   have been dropped, so the run reads the changelog from the oldest retained event and also
   re-lists the records with a date filter (invoices dated from the tenant's start date, re-read
   only when their ``updated_at`` moved; all products; the linked customers). The first run of a tenant does the same full listing.
   The cursor is saved only after the events are applied, so a failed run re-reads them
   (applying an event twice is harmless: documents are versioned by content).
2. **Commercial documents** (purchasing orders, shipping orders) have no changelog in the API:
   new ones are found with ``id > highest id seen`` (one call when idle); every
   ``COMMERCIAL_RESCAN`` (and on ``full=True``) the whole list is read again to catch edits
   (``updated_at``) and deletions.
3. **Products and customers**: two-way name/SKU (label/reference) and name/e-mail sync,
   most-recent-change-wins, conflicts logged; local-only edits pushed after reading Pennylane's
   current values. Local deletes/deactivations are never sent. Suppliers are not synced.
4. **Goods receipts** waiting to be sent are sent as supplier invoices (exactly once).

Then :func:`update_movements` turns document versions into ledger movements and
:func:`compute_levels` writes end-of-day levels. :func:`run_stock_sync` does all three: it is
what the schedule, the "import now" button and the CLI call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core.errors import TransientError, http_status_of
from core.stock.levels import levels_at
from core.stock.movements import DocLine, Movement, StockDocument, StockOptions, plan_movements, to_milli
from pipelines.stock.supplier_invoices import send_receipt
from pipelines.stock.twoway import merge_fields
from resources.stock.store import CursorState, StockStore, utcnow

log = logging.getLogger(__name__)

RETENTION = timedelta(weeks=4)
CURSOR_SAFETY = timedelta(days=1)
COMMERCIAL_RESCAN = timedelta(hours=6)
CHANGELOG_RESOURCES = ("products", "customers", "customer_invoices")
INVOICE_SKIP_STATUSES = frozenset({"proforma", "shipping_order", "purchasing_order", "estimate_pending",
                                   "estimate_accepted", "estimate_invoiced", "estimate_denied"})


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class SyncReport:
    tenant: str
    skipped: str | None = None
    requests: int = 0
    changelog_calls: dict[str, int] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)
    documents_changed: list[str] = field(default_factory=list)
    products_created: list[int] = field(default_factory=list)
    customers_created: list[int] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    receipts_sent: list[str] = field(default_factory=list)
    movements_added: int = 0
    seconds: float = 0.0


class StockSync:
    """One sync run for one tenant. ``client`` is a :class:`resources.pennylane.PennylaneClient`
    (or anything with the same methods); ``now`` is injectable for tests (emulated clock)."""

    def __init__(self, tenant, client, store: StockStore, *, now: Callable[[], datetime] | None = None):
        self.tenant = tenant
        self.slug = tenant.slug
        self.cfg = tenant.stock
        self.client = client
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))
        self.report = SyncReport(self.slug)
        self._service_accounts: set[int] | None = None
        self._handled_products: set[int] = set()
        self._handled_customers: set[int] = set()

    # ------------------------------------------------------------------ run
    def run(self, *, full: bool = False) -> SyncReport:
        started = time.perf_counter()
        before = getattr(self.client, "requests_sent", 0)
        if not self.store.is_connected(self.slug):
            self.report.skipped = "disconnected from Pennylane (history kept; reconnect to resume)"
            return self.report
        self._sync_products(full)
        self._sync_customers(full)
        self._sync_invoices(full)
        self._sync_commercial_documents(full)
        self._push_local_products()
        self._push_local_customers()
        if self.cfg.send_receipts_as_supplier_invoices:
            for rec in self.store.receipts(self.slug):
                if rec["send_status"] in ("pending", "sending"):
                    send_receipt(self.store, self.tenant, self.client, rec["receipt_id"])
                    self.report.receipts_sent.append(rec["receipt_id"])
        self.report.requests = getattr(self.client, "requests_sent", 0) - before
        self.report.seconds = time.perf_counter() - started
        return self.report

    # ------------------------------------------------------------ changelog
    def _changelog(self, resource: str, full: bool) -> tuple[dict[int, str], bool, Callable[[], None]]:
        """Events since the stored position: ``{id: last operation}``, whether a full re-list is
        needed (first run, stale cursor, or ``full``), and a callback saving the new position."""
        state = self.store.cursor(self.slug, resource)
        now = self.now()
        first = state.synced_at is None
        stale = not first and now - state.synced_at > RETENTION - CURSOR_SAFETY
        cursor, start = state.cursor, None
        if first or stale:
            cursor = None
            # First run: the full listing covers the past; read events from now on (minus skew).
            # Stale cursor: read everything still retained, and re-list (the gap may hide events).
            start = now - timedelta(minutes=5) if first else now - RETENTION + timedelta(hours=1)
            if stale:
                self.report.fallbacks.append(
                    f"{resource}: cursor from {state.synced_at:%Y-%m-%d %H:%M} is older than the changelog "
                    f"retention ({RETENTION.days} days): re-listed with a date filter")
                self.store.log(self.slug, "cursor_fallback", resource, self.report.fallbacks[-1])
        elif not cursor and state.resume_at:
            start = parse_ts(state.resume_at)
        ops: dict[int, str] = {}
        last_processed = state.resume_at
        calls = 0
        while True:
            items, next_cursor, has_more = self.client.changelog(
                resource, start_date=rfc3339(start) if start else None, cursor=cursor, limit=1000)
            calls += 1
            for item in items:
                ops.pop(int(item["id"]), None)
                ops[int(item["id"])] = item["operation"]
                last_processed = item.get("processed_at") or last_processed
            if next_cursor:
                cursor, start = next_cursor, None
            if not has_more:
                break
        self.report.changelog_calls[resource] = calls
        if cursor is None and start is not None and last_processed is None:
            last_processed = rfc3339(start)

        def save() -> None:
            self.store.save_cursor(self.slug, resource, CursorState(
                cursor=cursor, resume_at=last_processed, watermark=state.watermark, synced_at=now,
                full_scan_at=now if (first or stale or full) else state.full_scan_at))

        return ops, (first or stale or full), save

    # ------------------------------------------------------------- products
    def _is_service(self, data: dict[str, Any]) -> bool:
        if data.get("substance") == "services":
            return True
        account = (data.get("ledger_account") or {}).get("id")
        if account is None:
            return False
        if self._service_accounts is None:
            self._service_accounts = self._load_service_accounts()
        return int(account) in self._service_accounts

    def _load_service_accounts(self) -> set[int]:
        """Ids of the ledger accounts numbered 706… (services), read once per run when needed."""
        lister = getattr(self.client, "list_ledger_accounts", None)
        if lister is None:
            return set()
        return {int(r["id"]) for r in lister() if str(r.get("number", "")).startswith("706")}

    def _sync_products(self, full: bool) -> None:
        ops, relist, save = self._changelog("products", full)
        if relist:
            for data in self.client.list_products():
                self._handled_products.add(int(data["id"]))
                self._apply_remote_product(data)
        for pl_id, op in ops.items():
            if pl_id in self._handled_products:
                continue
            self._handled_products.add(pl_id)
            local = self.store.product_by_pennylane_id(self.slug, pl_id)
            if op == "delete":
                if local is not None:
                    self.store.update_product(self.slug, local["id"], remote_deleted=True)
                    self.store.log(self.slug, "remote_deleted", f"product {local['id']}",
                                   f"Pennylane product {pl_id} was deleted; kept locally")
                continue
            if local is None and not self.cfg.import_products:
                continue  # created anyway when met on an invoice or order
            data = self._get_or_none(self.client.get_product, pl_id)
            if data is not None:
                self._apply_remote_product(data)
        save()

    def _get_or_none(self, getter, record_id: int) -> dict[str, Any] | None:
        try:
            return getter(record_id)
        except Exception as exc:
            if http_status_of(exc) == 404:
                return None
            raise

    def _apply_remote_product(self, data: dict[str, Any], *, met_on_document: bool = False) -> dict[str, Any] | None:
        pl_id = int(data["id"])
        label, reference = data.get("label") or f"Produit {pl_id}", data.get("reference") or None
        local = self.store.product_by_pennylane_id(self.slug, pl_id)
        if local is not None:
            if not local["deleted"]:
                self._merge_product(local, data)
            return self.store.product(self.slug, local["id"])
        service = self._is_service(data)
        if not met_on_document and not self.cfg.import_products:
            return None
        if service and not self.cfg.import_services:
            if not met_on_document:
                return None
            # Remember it (untracked) so its lines are skipped without asking Pennylane again.
            return self.store.insert_product(self.slug, name=label, sku=reference, kind="service", tracked=False,
                                             pennylane_id=pl_id, synced_name=label, synced_sku=reference,
                                             remote_updated_at=data.get("updated_at"))
        values = dict(name=label, sku=reference, kind="service" if service else "goods", tracked=True,
                      pennylane_id=pl_id, synced_name=label, synced_sku=reference,
                      remote_updated_at=data.get("updated_at"))
        if reference:
            same_sku = self.store.products_by_sku(self.slug, reference)
            local_only = [p for p in same_sku if p["pennylane_id"] is None]
            linked = [p for p in same_sku if p["pennylane_id"] is not None and int(p["pennylane_id"]) != pl_id]
            if local_only:
                prod = local_only[0]
                self.store.update_product(self.slug, prod["id"], pennylane_id=pl_id, remote_deleted=False,
                                          synced_name=prod["name"], synced_sku=prod["sku"])
                self.store.log(self.slug, "linked", f"product {prod['id']}",
                               f"local product with SKU {reference!r} linked to Pennylane product {pl_id}")
                self._merge_product(self.store.product(self.slug, prod["id"]), data)
                return self.store.product(self.slug, prod["id"])
            if linked:
                original = linked[0]
                created = self.store.insert_product(self.slug, merge_of=original["id"], merge_status="flagged",
                                                    **values)
                msg = (f"Pennylane product {pl_id} has SKU {reference!r} like local product {original['id']} "
                       f"(Pennylane id {original['pennylane_id']}): the id probably changed in Pennylane. "
                       f"Created product {created['id']} flagged for merge into {original['id']}")
                self.store.log(self.slug, "merge_flag", f"product {created['id']}", msg)
                log.warning("tenant %s: %s", self.slug, msg)
                self.report.products_created.append(created["id"])
                return created
        created = self.store.insert_product(self.slug, **values)
        self.report.products_created.append(created["id"])
        return created

    def _merge_product(self, local: dict[str, Any], data: dict[str, Any]) -> None:
        remote = {"name": data.get("label") or local["name"], "sku": data.get("reference") or None}
        result = merge_fields({"name": local["name"], "sku": local["sku"]}, remote,
                              {"name": local["synced_name"], "sku": local["synced_sku"]},
                              local_changed_at=_aware(local["local_changed_at"]),
                              remote_updated_at=parse_ts(data.get("updated_at")))
        for conflict in result.conflicts:
            msg = f"product {local['id']} (Pennylane {data['id']}): {conflict.describe()}"
            self.store.log(self.slug, "conflict", f"product {local['id']}", msg)
            self.report.conflicts.append(msg)
            log.info("tenant %s: %s", self.slug, msg)
        remote_updated = data.get("updated_at")
        if result.push_to_pennylane and local["active"]:
            payload = {}
            if "name" in result.push_to_pennylane:
                payload["label"] = result.values["name"]
            if "sku" in result.push_to_pennylane:
                payload["reference"] = result.values["sku"] or ""
            pushed = self.client.update_product(int(data["id"]), payload)
            remote_updated = (pushed or {}).get("updated_at") or remote_updated
            self.report.pushed.append(f"product {local['id']}: {payload}")
        self.store.update_product(self.slug, local["id"], name=result.values["name"], sku=result.values["sku"],
                                  synced_name=result.values["name"], synced_sku=result.values["sku"],
                                  remote_updated_at=remote_updated, remote_deleted=False)

    def _push_local_products(self) -> None:
        for prod in self.store.products(self.slug):
            if (prod["pennylane_id"] is None or prod["deleted"] or not prod["active"] or prod["remote_deleted"]
                    or int(prod["pennylane_id"]) in self._handled_products):
                continue
            if (prod["name"], prod["sku"]) == (prod["synced_name"], prod["synced_sku"]):
                continue
            data = self._get_or_none(self.client.get_product, int(prod["pennylane_id"]))
            if data is None:
                self.store.update_product(self.slug, prod["id"], remote_deleted=True)
                continue
            self._merge_product(prod, data)

    def _local_product_for_line(self, product_ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not product_ref or product_ref.get("id") is None:
            return None
        pl_id = int(product_ref["id"])
        local = self.store.product_by_pennylane_id(self.slug, pl_id)
        if local is not None:
            return local
        data = self._get_or_none(self.client.get_product, pl_id)
        if data is None:
            return None
        self._handled_products.add(pl_id)
        return self._apply_remote_product(data, met_on_document=True)

    # ------------------------------------------------------------ customers
    def _sync_customers(self, full: bool) -> None:
        ops, relist, save = self._changelog("customers", full)
        if relist:
            linked = {int(c["pennylane_id"]) for c in self.store.customers(self.slug) if c["pennylane_id"]}
            if linked:
                for data in self.client.list_customers():
                    if int(data["id"]) in linked:
                        self._handled_customers.add(int(data["id"]))
                        self._merge_customer(self.store.customer_by_pennylane_id(self.slug, int(data["id"])), data)
        for pl_id, op in ops.items():
            local = self.store.customer_by_pennylane_id(self.slug, pl_id)
            if local is None or pl_id in self._handled_customers or op == "delete":
                continue  # a Pennylane customer is created locally only when met on an order
            self._handled_customers.add(pl_id)
            data = self._get_or_none(self.client.get_customer, pl_id)
            if data is not None:
                self._merge_customer(local, data)
        save()

    @staticmethod
    def _remote_customer_fields(data: dict[str, Any]) -> dict[str, Any]:
        name = data.get("name") or " ".join(x for x in (data.get("first_name"), data.get("last_name")) if x)
        emails = data.get("emails") or []
        return {"name": name, "email": emails[0] if emails else None}

    def _customer_for_document(self, ref: dict[str, Any] | None) -> str | None:
        if not ref or ref.get("id") is None:
            return None
        pl_id = int(ref["id"])
        local = self.store.customer_by_pennylane_id(self.slug, pl_id)
        if local is None:
            data = self._get_or_none(self.client.get_customer, pl_id)
            if data is None:
                return f"pennylane:{pl_id}"
            fields = self._remote_customer_fields(data)
            local = self.store.insert_customer(
                self.slug, customer_type=data.get("customer_type") or "company", name=fields["name"],
                email=fields["email"], pennylane_id=pl_id, synced_name=fields["name"], synced_email=fields["email"],
                remote_updated_at=data.get("updated_at"))
            self._handled_customers.add(pl_id)
            self.report.customers_created.append(local["id"])
            self.store.log(self.slug, "customer_created", f"customer {local['id']}",
                           f"created locally from Pennylane customer {pl_id} met on a document")
        return str(local["id"])

    def _merge_customer(self, local: dict[str, Any], data: dict[str, Any]) -> None:
        remote = self._remote_customer_fields(data)
        result = merge_fields({"name": local["name"], "email": local["email"]}, remote,
                              {"name": local["synced_name"], "email": local["synced_email"]},
                              local_changed_at=_aware(local["local_changed_at"]),
                              remote_updated_at=parse_ts(data.get("updated_at")))
        for conflict in result.conflicts:
            msg = f"customer {local['id']} (Pennylane {data['id']}): {conflict.describe()}"
            self.store.log(self.slug, "conflict", f"customer {local['id']}", msg)
            self.report.conflicts.append(msg)
        if result.push_to_pennylane:
            payload = self._customer_payload(local["customer_type"], result.values["name"], result.values["email"])
            if local["customer_type"] == "individual":
                self.client.update_individual_customer(int(data["id"]), payload)
            else:
                self.client.update_company_customer(int(data["id"]), payload)
            self.report.pushed.append(f"customer {local['id']}: {payload}")
        self.store.update_customer(self.slug, local["id"], name=result.values["name"], email=result.values["email"],
                                   synced_name=result.values["name"], synced_email=result.values["email"],
                                   remote_updated_at=data.get("updated_at"))

    @staticmethod
    def _customer_payload(customer_type: str, name: str, email: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"emails": [email] if email else []}
        if customer_type == "individual":
            first, _, last = name.partition(" ")
            payload.update(first_name=first, last_name=last or first)
        else:
            payload["name"] = name
        return payload

    def _push_local_customers(self) -> None:
        for cust in self.store.customers(self.slug):
            if cust["pennylane_id"] is None:
                payload = self._customer_payload(cust["customer_type"], cust["name"], cust["email"])
                payload["billing_address"] = json.loads(cust["address"] or "{}")
                create = (self.client.create_individual_customer if cust["customer_type"] == "individual"
                          else self.client.create_company_customer)
                created = create(payload)
                self.store.update_customer(self.slug, cust["id"], pennylane_id=int(created["id"]),
                                           synced_name=cust["name"], synced_email=cust["email"],
                                           remote_updated_at=created.get("updated_at"))
                self._handled_customers.add(int(created["id"]))
                self.report.pushed.append(f"customer {cust['id']}: created in Pennylane as {created['id']}")
                self.store.log(self.slug, "customer_pushed", f"customer {cust['id']}",
                               f"created in Pennylane as {created['id']}")
                continue
            if int(cust["pennylane_id"]) in self._handled_customers:
                continue
            if (cust["name"], cust["email"]) == (cust["synced_name"], cust["synced_email"]):
                continue
            data = self._get_or_none(self.client.get_customer, int(cust["pennylane_id"]))
            if data is not None:
                self._merge_customer(cust, data)

    # ------------------------------------------------------------- invoices
    def _sync_invoices(self, full: bool) -> None:
        ops, relist, save = self._changelog("customer_invoices", full)
        seen: set[int] = set()
        if relist:
            # Everything dated from the tenant's start: an invoice edited during the gap may be
            # old. Only invoices whose updated_at moved are re-read with their lines.
            known = self._remote_updated_at_index()
            listed: set[str] = set()
            for inv in self.client.list_customer_invoices(
                    filters=[{"field": "date", "operator": "gteq", "value": self.tenant.start_date.isoformat()}]):
                seen.add(int(inv["id"]))
                doc_id = f"pennylane:customer_invoice:{inv['id']}"
                listed.add(doc_id)
                if known.get(doc_id) is not None and known[doc_id] == inv.get("updated_at"):
                    continue
                self._store_invoice(inv)
            for doc_id in known:  # deleted during the gap
                if doc_id.startswith("pennylane:customer_invoice:") and doc_id not in listed:
                    doc = self.store.get_document(self.slug, doc_id)
                    if doc is not None and doc.date >= self.tenant.start_date.isoformat():
                        self._deactivate(doc_id)
        for inv_id, op in ops.items():
            if inv_id in seen:
                continue
            doc_id = f"pennylane:customer_invoice:{inv_id}"
            if op == "delete":
                self._deactivate(doc_id)
                continue
            inv = self._get_or_none(self.client.get_customer_invoice, inv_id)
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
            product = self._local_product_for_line(line.get("product"))
            if product is None or not product["tracked"]:
                continue
            qty = to_milli(line.get("quantity", "0"), tenant=self.slug, where=f"{doc_id} line {line.get('id')}")
            if kind == "credit_note":
                qty = abs(qty)
            doc_lines.append(DocLine(str(line["id"]), str(product["id"]), qty))
        quote = (data.get("quote") or {}).get("id")
        order_ref = f"quote:{quote}" if quote else None
        customer = self._customer_for_document(data.get("customer"))
        day = data.get("date") or self._local_today()
        doc = StockDocument(doc_id, kind, 1, day, self.cfg.default_location, tuple(doc_lines), active, customer,
                            order_ref, credited_doc)
        before = self.store.get_document(self.slug, doc_id)
        stored = self.store.upsert_document(self.slug, doc, number=number, remote_updated_at=data.get("updated_at"))
        if before is None or before.version != stored.version:
            self.report.documents_changed.append(f"{doc_id} v{stored.version}")

    def _local_today(self) -> str:
        return self.now().astimezone(ZoneInfo(self.tenant.timezone)).date().isoformat()

    # -------------------------------------------------- commercial documents
    def _sync_commercial_documents(self, full: bool) -> None:
        resource = "commercial_documents"
        state = self.store.cursor(self.slug, resource)
        now = self.now()
        rescan = full or state.full_scan_at is None or now - state.full_scan_at > COMMERCIAL_RESCAN
        watermark = int(state.watermark or 0)
        if rescan:
            listed = list(self.client.list_commercial_documents())
        else:
            listed = list(self.client.list_commercial_documents(
                filters=[{"field": "id", "operator": "gt", "value": str(watermark)}]))
        known = {d.doc_id: d for d in self.store.documents(self.slug) if d.doc_id.startswith("pennylane:commercial")}
        updated_at = self._remote_updated_at_index()
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

    def _remote_updated_at_index(self) -> dict[str, str | None]:
        import sqlalchemy as sa

        from resources.stock import tables as t
        d = t.stock_documents
        with self.store.engine.connect() as c:
            rows = c.execute(sa.select(d.c.doc_id, d.c.remote_updated_at).where(d.c.tenant == self.slug)).fetchall()
        return dict(rows)

    def _commercial_lines(self, doc_id: int) -> list[dict[str, Any]]:
        return list(self.client.list_commercial_document_lines(doc_id))


def _aware(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


# ---------------------------------------------------------------- movements & levels
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


def run_stock_sync(tenant, client, store: StockStore, *, day: str | None = None, full: bool = False,
                   now: Callable[[], datetime] | None = None) -> SyncReport:
    """Sync, update the ledger and write the levels of ``day`` (default: tenant-local today).

    This is "import now": the schedule, the UI button and the CLI all end up here.
    """
    report = StockSync(tenant, client, store, now=now).run(full=full)
    if report.skipped:
        return report
    report.movements_added = len(update_movements(store, tenant))
    compute_levels(store, tenant, day or local_today(tenant, (now or utcnow)()))
    return report
