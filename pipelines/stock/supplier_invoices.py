"""Goods receipts sent to Pennylane as supplier invoices, exactly once, with the receipt as PDF.

Sending is a two-step write that Pennylane cannot make idempotent for us (POST is not
idempotent), so the state is recorded around each step: ``pending`` → upload the PDF, record the
attachment id and ``sending`` → import the supplier invoice, record its id and ``sent``. A crash
between the import and the last record leaves ``sending``: the retry imports the *same* file
again, which Pennylane refuses as a duplicate (409, "already exists with such attachment"), and
that answer is taken as "already sent". A receipt marked ``sent`` is never sent again, even if
it is edited afterwards (the edit is logged; the accountant corrects the supplier invoice).

Amounts are exact (integer cents): the net of each receipt line rounded to the cent, the VAT of
each rate on the summed net. The PDF and the supplier invoice show the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.errors import MappingError, SourceDataError, http_status_of
from core.money import cents_to_amount, cents_to_french
from pipelines.stock.receipts import VAT_CODES
from resources.stock.receipt_pdf import Column, TableDocument, render_pdf
from resources.stock.store import StockStore, utcnow
from resources.tenants import TenantConfig

NBSP = "\u00a0"


@dataclass(frozen=True)
class RateTotal:
    rate: str  # percent, e.g. "5.5"
    net_cents: int
    tax_cents: int


@dataclass(frozen=True)
class ReceiptTotals:
    line_net_cents: tuple[int, ...]  # per receipt line, in file order
    by_rate: tuple[RateTotal, ...]  # sorted by rate

    @property
    def net_cents(self) -> int:
        return sum(r.net_cents for r in self.by_rate)

    @property
    def tax_cents(self) -> int:
        return sum(r.tax_cents for r in self.by_rate)

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.tax_cents


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def receipt_totals(receipt: dict[str, Any]) -> ReceiptTotals:
    lines = json.loads(receipt["lines"])
    line_net = tuple(_cents(Decimal(ln["quantity"]) * Decimal(ln["unit_cost"]) * 100) for ln in lines)
    net_by_rate: dict[str, int] = {}
    for ln, net in zip(lines, line_net, strict=True):
        net_by_rate[ln["vat_rate"]] = net_by_rate.get(ln["vat_rate"], 0) + net
    by_rate = tuple(RateTotal(rate, net, _cents(Decimal(net) * Decimal(rate) / 100))
                    for rate, net in sorted(net_by_rate.items(), key=lambda kv: Decimal(kv[0])))
    return ReceiptTotals(line_net, by_rate)


def supplier_invoice_payload(tenant: TenantConfig, receipt: dict[str, Any], file_attachment_id: int) -> dict[str, Any]:
    """The ``POST /supplier_invoices/import`` body for a receipt: one line per VAT rate."""
    supplier_id = tenant.stock.receipts_supplier_id
    if supplier_id is None:
        raise MappingError("stock.receipts_supplier_id must be set to send goods receipts as supplier invoices",
                           tenant=tenant.slug, record=f"receipt {receipt['receipt_id']}",
                           field_name="stock.receipts_supplier_id")
    totals = receipt_totals(receipt)
    inv_lines = [{"currency_amount": cents_to_amount(r.net_cents + r.tax_cents),
                  "currency_tax": cents_to_amount(r.tax_cents), "vat_rate": VAT_CODES[r.rate],
                  "label": f"Réception {receipt['receipt_id']} TVA {r.rate}%"}
                 for r in totals.by_rate]
    day = date.fromisoformat(receipt["date"])
    return {
        "file_attachment_id": int(file_attachment_id),
        "supplier_id": int(supplier_id),
        "date": receipt["date"],
        "deadline": (day + timedelta(days=30)).isoformat(),
        "invoice_number": str(receipt["receipt_id"]),
        "currency": tenant.currency,
        "currency_amount_before_tax": cents_to_amount(totals.net_cents),
        "currency_amount": cents_to_amount(totals.gross_cents),
        "currency_tax": cents_to_amount(totals.tax_cents),
        "label": f"Bon de réception {receipt['receipt_id']} — {receipt['supplier']}",
        "external_reference": f"stock-receipt-{tenant.slug}-{receipt['receipt_id']}",
        "invoice_lines": inv_lines,
    }


def _fr_decimal(value: str | Decimal) -> str:
    """``"1234.5"`` → ``1 234,5``, ``"1E+1"`` → ``10`` (French: no-break space for thousands,
    decimal comma; the digits as given)."""
    text = format(Decimal(value), "f")
    whole, _, frac = text.lstrip("-").partition(".")
    sign = "-" if text.startswith("-") else ""
    grouped = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{grouped},{frac}" if frac else f"{sign}{grouped}"


def _fr_unit_price(value: str) -> str:
    """A unit price in euros, at least to the cent: ``1`` → ``1,00 €``, ``0.355`` → ``0,355 €``."""
    dec = Decimal(value)
    return _fr_decimal(dec if -dec.as_tuple().exponent >= 2 else dec.quantize(Decimal("0.01"))) + f"{NBSP}€"


def receipt_document(tenant: TenantConfig, receipt: dict[str, Any]) -> TableDocument:
    """What the receipt's PDF shows: every line with its net amount, then the totals per rate."""
    rid = receipt["receipt_id"]
    lines = json.loads(receipt["lines"])
    totals = receipt_totals(receipt)
    rows = [(ln["sku"], ln.get("name") or "", _fr_decimal(ln["quantity"]), _fr_unit_price(ln["unit_cost"]),
             cents_to_french(net), f"{_fr_decimal(ln['vat_rate'])}{NBSP}%")
            for ln, net in zip(lines, totals.line_net_cents, strict=True)]
    summary = []
    for r in totals.by_rate:
        rate = f"{_fr_decimal(r.rate)}{NBSP}%"
        summary += [(f"Total HT TVA {rate}", cents_to_french(r.net_cents)),
                    (f"TVA {rate}", cents_to_french(r.tax_cents))]
    summary += [("Total HT", cents_to_french(totals.net_cents)), ("Total TVA", cents_to_french(totals.tax_cents)),
                ("Total TTC", cents_to_french(totals.gross_cents))]
    return TableDocument(
        title=f"Bon de réception {rid}",
        dated=date.fromisoformat(receipt["date"]),
        lines=[f"{tenant.name} (SIRET {tenant.siret})", f"Fournisseur : {receipt['supplier']}",
               f"Date : {receipt['date']} — lieu de stockage : {receipt['location']}",
               f"{len(lines)} ligne(s)"],
        columns=[Column("Référence", 22), Column("Désignation", 58), Column("Qté", 12, "RIGHT"),
                 Column("PU HT", 20, "RIGHT"), Column("Total HT", 22, "RIGHT"), Column("TVA", 12, "RIGHT")],
        rows=rows,
        totals=summary,
        footer=f"{tenant.name} — bon de réception {rid} du {receipt['date']}",
    )


def receipt_pdf(tenant: TenantConfig, receipt: dict[str, Any]) -> bytes:
    return render_pdf(receipt_document(tenant, receipt))


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
