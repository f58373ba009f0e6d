"""Goods receipts recorded locally (CLI or CSV): they put goods on hand. Sending them to
Pennylane as supplier invoices is :mod:`pipelines.stock.supplier_invoices`.

A receipt is stored as ``pending`` (to be sent) or ``local`` (the tenant does not send receipts);
recording it again with the same content changes nothing, a different content makes a new
version whose movements compensate the previous one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.errors import MappingError, SourceDataError
from core.stock.movements import DocLine, StockDocument, from_milli, to_milli
from resources.stock.store import StockStore, utcnow
from resources.tenants import TenantConfig

VAT_CODES = {"20": "FR_200", "10": "FR_100", "5.5": "FR_55", "2.1": "FR_21", "0": "exempt"}
CSV_COLUMNS = ("receipt_id", "date", "supplier", "sku", "quantity", "unit_cost")
CSV_OPTIONAL = ("vat_rate", "location", "name")


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    quantity: str  # decimal string, e.g. "12" or "2.5"
    unit_cost: str = "0"  # purchase price per unit, excl. VAT, in euros (decimal string)
    vat_rate: str = "20"  # percent
    name: str | None = None


def _decimal(value: Any, *, tenant: str, record: str, field: str) -> Decimal:
    try:
        dec = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise SourceDataError(f"{value!r} is not a number", tenant=tenant, record=record, field_name=field) from exc
    if not dec.is_finite():
        raise SourceDataError(f"{value!r} is not a number", tenant=tenant, record=record, field_name=field)
    return dec


def _vat_key(rate: str) -> str:
    return format(Decimal(rate).normalize(), "f") if Decimal(rate) != 0 else "0"


def resolve_local_product(store: StockStore, tenant: str, sku: str, name: str | None = None) -> str:
    """The local product for a SKU (the canonical one if it was merged); created if unknown."""
    matches = store.products_by_sku(tenant, sku)
    aliases = store.product_aliases(tenant)
    for prod in matches:
        return aliases.get(str(prod["id"]), str(prod["id"]))
    created = store.insert_product(tenant, name=name or sku, sku=sku, local_changed_at=utcnow())
    store.log(tenant, "product_created", f"product {created['id']}",
              f"created locally from a goods receipt (SKU {sku!r}); linked when Pennylane has it")
    return str(created["id"])


def record_receipt(store: StockStore, tenant: TenantConfig, receipt_id: str, day: str | date, supplier: str,
                   lines: list[ReceiptLine], location: str | None = None) -> StockDocument:
    """Record (or edit) a goods receipt. Returns the stored document version.

    Recording the same receipt again with the same content changes nothing; a different content
    makes a new version whose movements compensate the previous one.
    """
    slug, cfg = tenant.slug, tenant.stock
    record = f"receipt {receipt_id}"
    day = str(day)
    try:
        date.fromisoformat(day)
    except ValueError as exc:
        raise SourceDataError(f"{day!r} is not a date (YYYY-MM-DD)", tenant=slug, record=record,
                              field_name="date") from exc
    location = location or cfg.default_location
    if location not in cfg.locations:
        raise MappingError(f"unknown storage location {location!r} (known: {', '.join(cfg.locations)})",
                           tenant=slug, record=record, field_name="location")
    if not lines:
        raise SourceDataError("a goods receipt needs at least one line", tenant=slug, record=record)
    doc_lines, stored = [], []
    for i, line in enumerate(lines, start=1):
        where = f"{record} line {i}"
        if not line.sku.strip():
            raise SourceDataError("empty SKU", tenant=slug, record=where, field_name="sku")
        qty = to_milli(_decimal(line.quantity, tenant=slug, record=where, field="quantity"), tenant=slug, where=where)
        if qty <= 0:
            raise SourceDataError(f"quantity must be positive, got {line.quantity!r}", tenant=slug, record=where,
                                  field_name="quantity")
        cost = _decimal(line.unit_cost, tenant=slug, record=where, field="unit_cost")
        rate = _vat_key(str(_decimal(line.vat_rate, tenant=slug, record=where, field="vat_rate")))
        if rate not in VAT_CODES:
            raise SourceDataError(f"unknown French VAT rate {line.vat_rate!r}", tenant=slug, record=where,
                                  field_name="vat_rate")
        product = resolve_local_product(store, slug, line.sku.strip(), line.name)
        doc_lines.append(DocLine(f"l{i}", product, qty))
        stored.append({"sku": line.sku.strip(), "product": product, "quantity": str(from_milli(qty)),
                       "unit_cost": str(cost), "vat_rate": rate, "name": line.name})
    doc = store.upsert_document(slug, StockDocument(f"receipt:{receipt_id}", "receipt", 1, day, location,
                                                    tuple(doc_lines)), number=receipt_id)
    existing = store.receipt(slug, receipt_id)
    status = "pending" if cfg.send_receipts_as_supplier_invoices else "local"
    values = dict(date=day, supplier=supplier, location=doc.location, lines=json.dumps(stored))
    if existing is None:
        store.save_receipt(slug, receipt_id, send_status=status, created_at=utcnow(), **values)
    else:
        if existing["send_status"] in ("sent", "sending") and json.loads(existing["lines"]) != stored:
            store.log(slug, "receipt_edited_after_sending", record,
                      f"edited after it was sent to Pennylane as supplier invoice "
                      f"{existing['supplier_invoice_id']}: stock updated, supplier invoice NOT re-sent")
        store.save_receipt(slug, receipt_id, **values)
    return doc


def parse_receipts_csv(text: str, *, tenant: str) -> dict[str, dict[str, Any]]:
    """CSV (comma or semicolon) → receipts by id, keeping file order. One row per line."""
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise SourceDataError(f"CSV is missing the column(s) {', '.join(missing)}", tenant=tenant, record="header")
    receipts: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        for col in CSV_COLUMNS:
            if not row.get(col):
                raise SourceDataError("empty value", tenant=tenant, record=f"CSV row {n}", field_name=col)
        rec = receipts.setdefault(row["receipt_id"], {"date": row["date"], "supplier": row["supplier"],
                                                      "location": row.get("location") or None, "lines": []})
        if (row.get("location") or None) != rec["location"]:
            raise SourceDataError(f"receipt {row['receipt_id']} has rows with different locations "
                                  "(one storage location per receipt)", tenant=tenant, record=f"CSV row {n}",
                                  field_name="location")
        if (rec["date"], rec["supplier"]) != (row["date"], row["supplier"]):
            raise SourceDataError(f"receipt {row['receipt_id']} has rows with different dates or suppliers",
                                  tenant=tenant, record=f"CSV row {n}", field_name="date")
        rec["lines"].append(ReceiptLine(row["sku"], row["quantity"], row["unit_cost"], row.get("vat_rate") or "20",
                                        row.get("name") or None))
    return receipts


def import_receipts_csv(store: StockStore, tenant: TenantConfig, source: str | Path) -> list[str]:
    """Record every receipt of a CSV file (path or text). Re-importing the same file changes nothing."""
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).exists()) else str(source)
    receipts = parse_receipts_csv(text, tenant=tenant.slug)
    for rid, rec in receipts.items():
        record_receipt(store, tenant, rid, rec["date"], rec["supplier"], rec["lines"], rec["location"])
    return list(receipts)
