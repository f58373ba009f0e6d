"""Goods receipts: CSV import, validation errors naming tenant/record/field, the PDF, idempotence."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from core.errors import SourceDataError
from pipelines.stock.ledger import compute_levels, update_movements
from pipelines.stock.receipts import import_receipts_csv, parse_receipts_csv
from pipelines.stock.supplier_invoices import receipt_pdf, supplier_invoice_payload
from resources.stock.store import StockStore
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse


def make_tenant(slug: str, name: str | None = None, **stock) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": slug, "name": name or f"Ferme {slug}", "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "shopify", "base_url": "https://shop.myshopify.com",
                   "credentials": {"access_token": "SHOPIFY_TOKEN"}},
        "pennylane": {"token_env": "PL_TOKEN_TEST"},
        "stock": {"enabled": True, **stock}})

CSV = """receipt_id;date;supplier;sku;quantity;unit_cost;vat_rate;location;name
BR-1;2026-03-01;Ferme Dupont;MIEL-500;12;4,50;5.5;;Miel 500 g
BR-3;2026-03-01;Ferme Dupont;CONF-ABR;6;3.20;5.5;reserve;Confiture abricot
BR-2;2026-03-02;Verrerie;POT-1;100;0.35;20;;
"""


@pytest.fixture
def store(tmp_path):
    return StockStore(Warehouse(f"sqlite:///{tmp_path / 'wh.db'}"))


def test_csv_import_puts_goods_on_hand_per_location_and_reimport_changes_nothing(store):
    tenant = make_tenant("ferme", locations=["main", "reserve"], default_location="main")
    assert import_receipts_csv(store, tenant, CSV) == ["BR-1", "BR-3", "BR-2"]
    update_movements(store, tenant)
    levels = compute_levels(store, tenant, "2026-03-02", write=False)
    skus = {str(p["id"]): p["sku"] for p in store.products("ferme")}
    got = {(skus[r.product], r.location, r.on_hand_milli) for r in levels.itertuples() if r.on_hand_milli}
    assert got == {("MIEL-500", "main", 12000), ("CONF-ABR", "reserve", 6000), ("POT-1", "main", 100000)}
    import_receipts_csv(store, tenant, CSV)
    assert update_movements(store, tenant) == []
    assert store.receipt("ferme", "BR-1")["send_status"] == "local"


def test_csv_errors_name_the_row_and_field():
    with pytest.raises(SourceDataError) as exc:
        parse_receipts_csv("receipt_id,date,supplier,sku,quantity,unit_cost,location\n"
                           "BR-1,2026-03-01,F,A,2,1.00,main\nBR-1,2026-03-01,F,B,2,1.00,reserve\n", tenant="t1")
    assert "record CSV row 3, field location" in str(exc.value)
    with pytest.raises(SourceDataError) as exc:
        parse_receipts_csv("receipt_id,date,supplier,sku,quantity,unit_cost\nBR-1,2026-03-01,F,,2,1.00\n", tenant="t1")
    assert str(exc.value) == "[source] tenant t1, record CSV row 2, field sku: empty value"


def test_unknown_location_is_a_mapping_error(store):
    tenant = make_tenant("ferme2")
    with pytest.raises(Exception) as exc:
        import_receipts_csv(store, tenant, "receipt_id,date,supplier,sku,quantity,unit_cost,location\n"
                                           "BR-9,2026-03-01,F,X,2,1.00,cave\n")
    assert str(exc.value) == ("[mapping] tenant ferme2, record receipt BR-9, field location: unknown storage "
                              "location 'cave' (known: main)")


def pdf_text(pdf: bytes) -> tuple[int, list[str]]:
    """(pages, text lines) of a PDF as a reader's copy-paste gives them (no-break spaces as spaces)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = "\n".join(page.extract_text() for page in pages).replace("\xa0", " ")
    return len(pages), [line.strip() for line in text.splitlines()]


def test_receipt_pdf_is_a_deterministic_pdf(store):
    tenant = make_tenant("ferme3", locations=["main", "reserve"])
    import_receipts_csv(store, tenant, CSV)
    rec = store.receipt("ferme3", "BR-1")
    pdf = receipt_pdf(tenant, rec)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert receipt_pdf(tenant, rec) == pdf  # the same receipt, the same bytes (Pennylane de-duplicates by file)
    pages, lines = pdf_text(pdf)
    assert pages == 1
    assert lines[:5] == ["Bon de réception BR-1", "Ferme ferme3 (SIRET 73282932000074)", "Fournisseur : Ferme Dupont",
                         "Date : 2026-03-01 — lieu de stockage : main", "1 ligne(s)"]
    # 12 × 4,50 € = 54,00 € HT; VAT 5.5 % of 54.00 = 2.97
    assert "MIEL-500 Miel 500 g 12 4,50 € 54,00 € 5,5 %" in lines
    assert lines[-4:-1] == ["Total HT 54,00 €", "Total TVA 2,97 €", "Total TTC 56,97 €"]


def test_a_receipt_of_200_lines_with_accents_and_euros_has_every_line_and_exact_totals(store):
    tenant = make_tenant("epicerie", name="Épicerie Œnologique de Łódź")
    rows = ["receipt_id;date;supplier;sku;quantity;unit_cost;vat_rate;name"]
    for i in range(200):
        if i % 2 == 0:
            rows.append(f"BR-200;2026-03-02;Crèmerie Ålborg;FRO-{i:03d};3;0,99;20;Œuf brûlé n°{i} Żubrówka Ωμέγα Пирожок")
        else:
            rows.append(f"BR-200;2026-03-02;Crèmerie Ålborg;FRO-{i:03d};2;12,345;5.5;Crème n°{i} € Ærø Šumava")
    assert import_receipts_csv(store, tenant, "\n".join(rows) + "\n") == ["BR-200"]
    rec = store.receipt("epicerie", "BR-200")

    pages, lines = pdf_text(receipt_pdf(tenant, rec))
    assert pages > 1  # the hand-made PDF stopped at the 60th line, on one page
    assert "Bon de réception BR-200" in lines and "Épicerie Œnologique de Łódź (SIRET 73282932000074)" in lines
    assert "Fournisseur : Crèmerie Ålborg" in lines and "200 ligne(s)" in lines
    for i in range(200):
        if i % 2 == 0:  # 3 × 0,99 € = 2,97 €
            expected = f"FRO-{i:03d} Œuf brûlé n°{i} Żubrówka Ωμέγα Пирожок 3 0,99 € 2,97 € 20 %"
        else:  # 2 × 12,345 € = 24,69 €
            expected = f"FRO-{i:03d} Crème n°{i} € Ærø Šumava 2 12,345 € 24,69 € 5,5 %"
        assert expected in lines, expected
    # By rate: 100 × 2,97 € = 297,00 € at 20 % → 59,40 €; 100 × 24,69 € = 2 469,00 € at 5.5 %
    # → 135,795 €, rounded half up to 135,80 €. Total 2 766,00 € + 195,20 € = 2 961,20 €.
    totals = lines[lines.index("Total HT TVA 5,5 % 2 469,00 €"):]
    assert totals[:7] == ["Total HT TVA 5,5 % 2 469,00 €", "TVA 5,5 % 135,80 €", "Total HT TVA 20 % 297,00 €",
                          "TVA 20 % 59,40 €", "Total HT 2 766,00 €", "Total TVA 195,20 €", "Total TTC 2 961,20 €"]
    # The supplier invoice sent to Pennylane carries the same figures.
    tenant = make_tenant("epicerie", receipts_supplier_id=7)
    payload = supplier_invoice_payload(tenant, rec, file_attachment_id=1)
    assert (payload["currency_amount_before_tax"], payload["currency_tax"], payload["currency_amount"]) == (
        "2766.00", "195.20", "2961.20")
    assert [(ln["vat_rate"], ln["currency_amount"], ln["currency_tax"]) for ln in payload["invoice_lines"]] == [
        ("FR_55", "2604.80", "135.80"), ("FR_200", "356.40", "59.40")]
