"""Data access for the stock tables (:mod:`resources.stock.tables`).

One :class:`StockStore` per warehouse; every method takes the tenant slug, so tenants never see
each other's rows. Writes that must be idempotent (documents, movements) are keyed so that a
replay is a no-op.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from core.stock.movements import DocLine, Movement, StockDocument
from resources.stock import tables as t
from resources.warehouse import Warehouse


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they were stored in UTC."""
    if ts is None:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class CursorState:
    cursor: str | None = None
    resume_at: str | None = None
    watermark: str | None = None
    synced_at: datetime | None = None
    full_scan_at: datetime | None = None


def document_fingerprint(doc: StockDocument) -> str:
    """What makes a new version: any change to what the rules read (not the version itself)."""
    payload = [doc.kind, doc.date, doc.active, doc.customer, doc.order_ref, doc.credited_doc,
               [[ln.line_id, ln.product, ln.qty_milli] for ln in doc.lines]]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


class StockStore:
    def __init__(self, warehouse: Warehouse):
        self.wh = warehouse
        self.engine = warehouse.engine

    # ------------------------------------------------------------ connection
    def is_connected(self, tenant: str) -> bool:
        with self.engine.connect() as c:
            row = c.execute(sa.select(t.stock_connections.c.connected).where(
                t.stock_connections.c.tenant == tenant)).first()
        return True if row is None else bool(row[0])

    def set_connected(self, tenant: str, connected: bool, at: datetime | None = None) -> None:
        at = at or utcnow()
        with self.engine.begin() as c:
            c.execute(t.stock_connections.delete().where(t.stock_connections.c.tenant == tenant))
            c.execute(t.stock_connections.insert().values(tenant=tenant, connected=connected, changed_at=at))

    # --------------------------------------------------------------- cursors
    def cursor(self, tenant: str, resource: str) -> CursorState:
        with self.engine.connect() as c:
            row = c.execute(sa.select(t.stock_cursors).where(
                t.stock_cursors.c.tenant == tenant, t.stock_cursors.c.resource == resource)).mappings().first()
        if row is None:
            return CursorState()
        return CursorState(row["cursor"], row["resume_at"], row["watermark"], _aware(row["synced_at"]),
                           _aware(row["full_scan_at"]))

    def save_cursor(self, tenant: str, resource: str, state: CursorState) -> None:
        values = dict(cursor=state.cursor, resume_at=state.resume_at, watermark=state.watermark,
                      synced_at=state.synced_at, full_scan_at=state.full_scan_at)
        with self.engine.begin() as c:
            c.execute(t.stock_cursors.delete().where(
                t.stock_cursors.c.tenant == tenant, t.stock_cursors.c.resource == resource))
            c.execute(t.stock_cursors.insert().values(tenant=tenant, resource=resource, **values))

    # ------------------------------------------------------------- documents
    def get_document(self, tenant: str, doc_id: str) -> StockDocument | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(t.stock_documents).where(
                t.stock_documents.c.tenant == tenant, t.stock_documents.c.doc_id == doc_id)).mappings().first()
        return _doc_from_row(row) if row else None

    def documents(self, tenant: str) -> list[StockDocument]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(t.stock_documents).where(t.stock_documents.c.tenant == tenant)
                             .order_by(t.stock_documents.c.doc_id)).mappings().all()
        return [_doc_from_row(r) for r in rows]

    def remote_updated_at_index(self, tenant: str) -> dict[str, str | None]:
        """Document id → Pennylane's ``updated_at`` when last stored (to skip unchanged documents)."""
        d = t.stock_documents
        with self.engine.connect() as c:
            return dict(c.execute(sa.select(d.c.doc_id, d.c.remote_updated_at).where(d.c.tenant == tenant)).all())

    def upsert_document(self, tenant: str, doc: StockDocument, *, number: str | None = None,
                        remote_updated_at: str | None = None) -> StockDocument:
        """Store ``doc`` as the document's current version. The version goes up only when the
        content changed; the location stays the one of the first version. Returns what is stored."""
        now = utcnow()
        with self.engine.begin() as c:
            row = c.execute(sa.select(t.stock_documents).where(
                t.stock_documents.c.tenant == tenant, t.stock_documents.c.doc_id == doc.doc_id)).mappings().first()
            if row is not None:
                doc = StockDocument(doc.doc_id, doc.kind, int(row["version"]), doc.date, row["location"], doc.lines,
                                    doc.active, doc.customer, doc.order_ref, doc.credited_doc)
                fp = document_fingerprint(doc)
                if fp == row["fingerprint"]:
                    if remote_updated_at and remote_updated_at != row["remote_updated_at"]:
                        c.execute(t.stock_documents.update().where(
                            t.stock_documents.c.tenant == tenant, t.stock_documents.c.doc_id == doc.doc_id,
                        ).values(remote_updated_at=remote_updated_at))
                    return _doc_from_row(row)
                doc = StockDocument(doc.doc_id, doc.kind, int(row["version"]) + 1, doc.date, doc.location, doc.lines,
                                    doc.active, doc.customer, doc.order_ref, doc.credited_doc)
                c.execute(t.stock_documents.delete().where(
                    t.stock_documents.c.tenant == tenant, t.stock_documents.c.doc_id == doc.doc_id))
            fp = document_fingerprint(doc)
            c.execute(t.stock_documents.insert().values(
                tenant=tenant, doc_id=doc.doc_id, kind=doc.kind, version=doc.version, fingerprint=fp,
                date=doc.date, location=doc.location, active=doc.active, customer=doc.customer,
                order_ref=doc.order_ref, credited_doc=doc.credited_doc, number=number,
                lines=json.dumps([[ln.line_id, ln.product, ln.qty_milli] for ln in doc.lines]),
                remote_updated_at=remote_updated_at, seen_at=now,
            ))
        return doc

    def documents_frame(self, tenant: str, day: str) -> pd.DataFrame:
        """The documents dated ``day`` (the ``pennylane_documents`` partition)."""
        cols = ["doc_id", "kind", "version", "date", "location", "active", "customer", "number", "lines"]
        with self.engine.connect() as c:
            rows = c.execute(sa.select(*[t.stock_documents.c[k] for k in cols]).where(
                t.stock_documents.c.tenant == tenant, t.stock_documents.c.date == day)
                .order_by(t.stock_documents.c.doc_id)).fetchall()
        return pd.DataFrame(rows, columns=cols)

    # ------------------------------------------------------------- movements
    def movements(self, tenant: str, *, day: str | None = None, up_to: str | None = None) -> list[Movement]:
        m = t.stock_movements
        q = sa.select(m).where(m.c.tenant == tenant)
        if day is not None:
            q = q.where(m.c.date == day)
        if up_to is not None:
            q = q.where(m.c.date <= up_to)
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(m.c.key)).mappings().all()
        return [Movement(r["key"], r["doc_id"], r["kind"], r["version"], r["line_id"], r["product"], r["location"],
                         r["date"], r["on_hand_milli"], r["reserved_milli"], r["returned_milli"], r["reason"])
                for r in rows]

    def ledger_size(self, tenant: str) -> int:
        m = t.stock_movements
        with self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(m).where(m.c.tenant == tenant)).scalar())

    def append_movements(self, tenant: str, movements: Iterable[Movement], *, expected_size: int | None = None) -> int | None:
        """Append planned movements atomically. With ``expected_size`` (the ledger size the plan was
        made from), returns None without writing when another run changed the ledger meanwhile:
        the caller plans again. A key already present is skipped. Returns how many were inserted."""
        now = utcnow()
        m, lk = t.stock_movements, t.stock_ledger_locks
        with self.engine.begin() as c:
            # Take the tenant's ledger lock first (row lock / SQLite write lock) for the whole check-and-insert.
            if c.execute(lk.update().where(lk.c.tenant == tenant).values(writes=lk.c.writes + 1)).rowcount == 0:
                c.execute(lk.insert().values(tenant=tenant, writes=1))
            existing = set(c.execute(sa.select(m.c.key).where(m.c.tenant == tenant)).scalars())
            if expected_size is not None and len(existing) != expected_size:
                return None
            rows = []
            for mv in movements:
                if mv.key in existing:
                    continue
                existing.add(mv.key)
                rows.append(dict(tenant=tenant, key=mv.key, doc_id=mv.doc_id, kind=mv.kind, version=mv.version,
                                 line_id=mv.line_id, product=mv.product, location=mv.location, date=mv.date,
                                 on_hand_milli=mv.on_hand, reserved_milli=mv.reserved,
                                 returned_milli=mv.returned, reason=mv.reason[:256], recorded_at=now))
            if rows:
                c.execute(m.insert(), rows)
        return len(rows)

    # ---------------------------------------------------------------- levels
    def replace_levels(self, tenant: str, day: str, frame: pd.DataFrame) -> None:
        lv = t.stock_levels
        with self.engine.begin() as c:
            c.execute(lv.delete().where(lv.c.tenant == tenant, lv.c.period == day))
            if len(frame):
                rows = [dict(tenant=tenant, period=day, product=str(r.product), location=str(r.location),
                             on_hand_milli=int(r.on_hand_milli), reserved_milli=int(r.reserved_milli),
                             available_milli=int(r.available_milli)) for r in frame.itertuples()]
                c.execute(lv.insert(), rows)

    def read_levels(self, tenant: str, day: str) -> pd.DataFrame:
        lv = t.stock_levels
        cols = ["product", "location", "on_hand_milli", "reserved_milli", "available_milli"]
        with self.engine.connect() as c:
            rows = c.execute(sa.select(*[lv.c[k] for k in cols]).where(lv.c.tenant == tenant, lv.c.period == day)
                             .order_by(lv.c.product, lv.c.location)).fetchall()
        return pd.DataFrame(rows, columns=cols)

    # -------------------------------------------------------------- products
    def products(self, tenant: str) -> list[dict[str, Any]]:
        p = t.stock_products
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.select(p).where(p.c.tenant == tenant).order_by(p.c.id)).mappings()]

    def product(self, tenant: str, product_id: int) -> dict[str, Any] | None:
        p = t.stock_products
        with self.engine.connect() as c:
            row = c.execute(sa.select(p).where(p.c.tenant == tenant, p.c.id == int(product_id))).mappings().first()
        return dict(row) if row else None

    def product_by_pennylane_id(self, tenant: str, pl_id: int) -> dict[str, Any] | None:
        p = t.stock_products
        with self.engine.connect() as c:
            row = c.execute(sa.select(p).where(p.c.tenant == tenant, p.c.pennylane_id == int(pl_id))
                            .order_by(p.c.id)).mappings().first()
        return dict(row) if row else None

    def products_by_sku(self, tenant: str, sku: str) -> list[dict[str, Any]]:
        p = t.stock_products
        with self.engine.connect() as c:
            rows = c.execute(sa.select(p).where(p.c.tenant == tenant, p.c.sku == sku, p.c.deleted.is_(False))
                             .order_by(p.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def insert_product(self, tenant: str, **values: Any) -> dict[str, Any]:
        defaults = dict(kind="goods", tracked=True, active=True, deleted=False, remote_deleted=False)
        defaults.update(values)
        with self.engine.begin() as c:
            pid = c.execute(t.stock_products.insert().values(tenant=tenant, **defaults)).inserted_primary_key[0]
        return self.product(tenant, pid)  # type: ignore[return-value]

    def update_product(self, tenant: str, product_id: int, **values: Any) -> None:
        p = t.stock_products
        with self.engine.begin() as c:
            c.execute(p.update().where(p.c.tenant == tenant, p.c.id == int(product_id)).values(**values))

    def product_aliases(self, tenant: str) -> dict[str, str]:
        """Local product id → the product it was merged into (followed to the end of the chain)."""
        into = {str(p["id"]): str(p["merged_into"]) for p in self.products(tenant) if p["merged_into"]}
        out = {}
        for pid in into:
            target, seen = pid, set()
            while target in into and target not in seen:
                seen.add(target)
                target = into[target]
            out[pid] = target
        return out

    # ------------------------------------------------------------- customers
    def customers(self, tenant: str) -> list[dict[str, Any]]:
        cu = t.stock_customers
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.select(cu).where(cu.c.tenant == tenant).order_by(cu.c.id)).mappings()]

    def customer(self, tenant: str, customer_id: int) -> dict[str, Any] | None:
        cu = t.stock_customers
        with self.engine.connect() as c:
            row = c.execute(sa.select(cu).where(cu.c.tenant == tenant, cu.c.id == int(customer_id))).mappings().first()
        return dict(row) if row else None

    def customer_by_pennylane_id(self, tenant: str, pl_id: int) -> dict[str, Any] | None:
        cu = t.stock_customers
        with self.engine.connect() as c:
            row = c.execute(sa.select(cu).where(cu.c.tenant == tenant, cu.c.pennylane_id == int(pl_id))).mappings().first()
        return dict(row) if row else None

    def insert_customer(self, tenant: str, **values: Any) -> dict[str, Any]:
        with self.engine.begin() as c:
            cid = c.execute(t.stock_customers.insert().values(tenant=tenant, **values)).inserted_primary_key[0]
        return self.customer(tenant, cid)  # type: ignore[return-value]

    def update_customer(self, tenant: str, customer_id: int, **values: Any) -> None:
        cu = t.stock_customers
        with self.engine.begin() as c:
            c.execute(cu.update().where(cu.c.tenant == tenant, cu.c.id == int(customer_id)).values(**values))

    # -------------------------------------------------------------- receipts
    def receipt(self, tenant: str, receipt_id: str) -> dict[str, Any] | None:
        r = t.stock_receipts
        with self.engine.connect() as c:
            row = c.execute(sa.select(r).where(r.c.tenant == tenant, r.c.receipt_id == receipt_id)).mappings().first()
        return dict(row) if row else None

    def receipts(self, tenant: str, *, send_status: str | None = None) -> list[dict[str, Any]]:
        r = t.stock_receipts
        q = sa.select(r).where(r.c.tenant == tenant)
        if send_status:
            q = q.where(r.c.send_status == send_status)
        with self.engine.connect() as c:
            return [dict(x) for x in c.execute(q.order_by(r.c.date, r.c.receipt_id)).mappings()]

    def save_receipt(self, tenant: str, receipt_id: str, **values: Any) -> None:
        r = t.stock_receipts
        with self.engine.begin() as c:
            if c.execute(sa.select(r.c.receipt_id).where(r.c.tenant == tenant, r.c.receipt_id == receipt_id)).first():
                c.execute(r.update().where(r.c.tenant == tenant, r.c.receipt_id == receipt_id).values(**values))
            else:
                c.execute(r.insert().values(tenant=tenant, receipt_id=receipt_id, **values))

    # ------------------------------------------------------------------- log
    def log(self, tenant: str, event: str, subject: str, message: str, at: datetime | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(t.stock_sync_log.insert().values(tenant=tenant, at=at or utcnow(), event=event,
                                                        subject=subject[:256], message=message))

    def log_entries(self, tenant: str, event: str | None = None) -> list[dict[str, Any]]:
        lg = t.stock_sync_log
        q = sa.select(lg).where(lg.c.tenant == tenant)
        if event:
            q = q.where(lg.c.event == event)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q.order_by(lg.c.id)).mappings()]


def _doc_from_row(row) -> StockDocument:
    lines = tuple(DocLine(str(a), str(b), int(q)) for a, b, q in json.loads(row["lines"]))
    return StockDocument(row["doc_id"], row["kind"], int(row["version"]), row["date"], row["location"], lines,
                         bool(row["active"]), row["customer"], row["order_ref"], row["credited_doc"])
