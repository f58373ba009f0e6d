"""Goods receipts: CSV import, validation errors naming tenant/record/field, the PDF, idempotence."""

from __future__ import annotations

import pytest

from core.errors import SourceDataError
from pipelines.stock.receipts import import_receipts_csv, parse_receipts_csv, receipt_pdf
from pipelines.stock.sync import compute_levels, update_movements
from resources.stock.store import StockStore
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse


def make_tenant(slug: str, **stock) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": slug, "name": f"Ferme {slug}", "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "shopify"}, "pennylane": {"token_env": "PL_TOKEN_TEST"},
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


def test_receipt_pdf_is_a_deterministic_pdf(store):
    tenant = make_tenant("ferme3", locations=["main", "reserve"])
    import_receipts_csv(store, tenant, CSV)
    rec = store.receipt("ferme3", "BR-1")
    pdf = receipt_pdf(tenant, rec)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"Bon de reception BR-1" in pdf and b"MIEL-500" in pdf
    assert receipt_pdf(tenant, rec) == pdf
