"""Goods receipts: recorded locally (CLI or CSV), they put goods on hand; optionally sent to
Pennylane as a supplier invoice, exactly once.

Sending is a two-step write that Pennylane cannot make idempotent for us (POST is not
idempotent), so the state is recorded around each step: ``pending`` → upload the PDF, record the
attachment id and ``sending`` → import the supplier invoice, record its id and ``sent``. A crash
between the import and the last record leaves ``sending``: the retry imports the *same* file
again, which Pennylane refuses as a duplicate (409, "already exists with such attachment"), and
that answer is taken as "already sent". A receipt marked ``sent`` is never sent again, even if
it is edited afterwards (the edit is logged; the accountant corrects the supplier invoice).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.errors import MappingError, SourceDataError, http_status_of
from core.money import cents_to_amount
from core.stock.movements import DocLine, StockDocument, from_milli, to_milli
from resources.stock.receipt_pdf import render_pdf
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


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def supplier_invoice_payload(tenant: TenantConfig, receipt: dict[str, Any], file_attachment_id: int) -> dict[str, Any]:
    """The ``POST /supplier_invoices/import`` body for a receipt: one line per VAT rate.

    Amounts are exact: net per receipt line rounded to the cent, VAT per rate on the summed net.
    """
    supplier_id = tenant.stock.receipts_supplier_id
    if supplier_id is None:
        raise MappingError("stock.receipts_supplier_id must be set to send goods receipts as supplier invoices",
                           tenant=tenant.slug, record=f"receipt {receipt['receipt_id']}",
                           field_name="stock.receipts_supplier_id")
    by_rate: dict[str, int] = {}
    for line in json.loads(receipt["lines"]):
        net = _cents(Decimal(line["quantity"]) * Decimal(line["unit_cost"]) * 100)
        by_rate[line["vat_rate"]] = by_rate.get(line["vat_rate"], 0) + net
    inv_lines, total_net, total_tax = [], 0, 0
    for rate, net in sorted(by_rate.items()):
        tax = _cents(Decimal(net) * Decimal(rate) / 100)
        total_net += net
        total_tax += tax
        inv_lines.append({"currency_amount": cents_to_amount(net + tax), "currency_tax": cents_to_amount(tax),
                          "vat_rate": VAT_CODES[rate], "label": f"Réception {receipt['receipt_id']} TVA {rate}%"})
    day = date.fromisoformat(receipt["date"])
    return {
        "file_attachment_id": int(file_attachment_id),
        "supplier_id": int(supplier_id),
        "date": receipt["date"],
        "deadline": (day + timedelta(days=30)).isoformat(),
        "invoice_number": str(receipt["receipt_id"]),
        "currency": tenant.currency,
        "currency_amount_before_tax": cents_to_amount(total_net),
        "currency_amount": cents_to_amount(total_net + total_tax),
        "currency_tax": cents_to_amount(total_tax),
        "label": f"Bon de réception {receipt['receipt_id']} — {receipt['supplier']}",
        "external_reference": f"stock-receipt-{tenant.slug}-{receipt['receipt_id']}",
        "invoice_lines": inv_lines,
    }


def receipt_pdf(tenant: TenantConfig, receipt: dict[str, Any]) -> bytes:
    lines = [f"{tenant.name} (SIRET {tenant.siret})", f"Fournisseur : {receipt['supplier']}",
             f"Date : {receipt['date']}   Lieu : {receipt['location']}", ""]
    for ln in json.loads(receipt["lines"]):
        lines.append(f"{ln['sku']}  {ln.get('name') or ''}  qte {ln['quantity']}  x {ln['unit_cost']} EUR HT"
                     f"  TVA {ln['vat_rate']}%")
    return render_pdf(f"Bon de reception {receipt['receipt_id']}", lines)


def send_receipt(store: StockStore, tenant: TenantConfig, client, receipt_id: str) -> int | None:
    """Send one receipt to Pennylane as a supplier invoice, exactly once. Returns its Pennylane id
    (None when Pennylane answered that it already had it and gave no id)."""
    slug = tenant.slug
    rec = store.receipt(slug, receipt_id)
    if rec is None:
        raise SourceDataError("unknown goods receipt", tenant=slug, record=f"receipt {receipt_id}")
    if rec["send_status"] == "sent":
        return rec["supplier_invoice_id"]
    if rec["send_status"] == "sending":
        # A previous attempt may have been stored by Pennylane before we could record it.
        ref = supplier_invoice_payload(tenant, rec, 0)["external_reference"]
        found = list(client.list_supplier_invoices(
            filters=[{"field": "external_reference", "operator": "eq", "value": ref}]))
        if found:
            store.save_receipt(slug, receipt_id, send_status="sent", supplier_invoice_id=int(found[0]["id"]),
                               sent_at=utcnow())
            store.log(slug, "receipt_sent", f"receipt {receipt_id}",
                      f"found already imported as supplier invoice {found[0]['id']} (external reference {ref})")
            return int(found[0]["id"])
    pdf = receipt_pdf(tenant, rec)
    attachment_id = rec["file_attachment_id"]
    if attachment_id is None:
        supplier_invoice_payload(tenant, rec, 0)  # fail on a missing supplier before uploading anything
        uploaded = client.upload_file_attachment(f"reception-{receipt_id}.pdf", pdf)
        attachment_id = int(uploaded["id"])
        store.save_receipt(slug, receipt_id, file_attachment_id=attachment_id, send_status="sending")
    payload = supplier_invoice_payload(tenant, rec, attachment_id)
    try:
        created = client.import_supplier_invoice(payload)
    except Exception as exc:
        if http_status_of(exc) != 409:
            raise
        store.save_receipt(slug, receipt_id, send_status="sent", sent_at=utcnow())
        store.log(slug, "receipt_sent", f"receipt {receipt_id}",
                  f"Pennylane already had this supplier invoice (409): marked as sent ({exc})")
        return None
    store.save_receipt(slug, receipt_id, send_status="sent", supplier_invoice_id=int(created["id"]),
                       sent_at=utcnow())
    store.log(slug, "receipt_sent", f"receipt {receipt_id}", f"sent as supplier invoice {created['id']}")
    return int(created["id"])
