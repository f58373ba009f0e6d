"""Text read from a source is cleaned once at the boundary (issue 10 point 16): Unicode NFC, no
NUL / control / format characters, at most 255 characters (Pennylane Company API v2: ``label``
``maxLength: 255``)."""

from __future__ import annotations

from datetime import date

from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from core.periods import SalesPeriod
from emulators.server import serve
from emulators.shopify import ShopifyState, create_app
from resources.sources.common import TEXT_MAX, clean_text, normalise_text
from resources.sources.shopify.source import ShopifySource
from tests.harness import load_sibling

day_mod = load_sibling(__file__, "test_shopify_day.py", "shopify_day_text")


def test_clean_text_composes_strips_controls_and_caps_at_pennylanes_label_length():
    assert clean_text("Cafe\u0301 cr\u00e8me") == "Café crème"  # decomposed é → one code point
    assert clean_text("CB\x00 Visa\x1b[31m\u202e") == "CB Visa[31m"  # NUL, ESC, bidi override gone
    assert clean_text("a\tb") == "a b"
    assert clean_text("x" * 300) == "x" * TEXT_MAX == "x" * 255


def test_normalise_text_cleans_every_text_column_of_a_day():
    day = SourceDay(
        sales_lines=make_frame([{"order_id": "1", "line_id": "1", "kind": "item", "category": "Épi\x00cerie",
                                 "sku": "THE\u200b-1", "quantity": 1.0, "net_cents": 100, "vat_rate": "20",
                                 "vat_cents": 20, "gross_cents": 120, "country": "FR", "currency": "EUR"}],
                               SALES_LINE_COLUMNS),
        payments=make_frame([{"order_id": "1", "payment_id": "p", "method": "Espe\u0300ces\x07", "amount_cents": 120,
                              "tip_cents": 0, "currency": "EUR"}], PAYMENT_COLUMNS))
    normalise_text(day)
    assert day.sales_lines[["category", "sku"]].to_dict("records") == [{"category": "Épicerie", "sku": "THE-1"}]
    assert day.payments["method"].tolist() == ["Espèces"]


def test_a_fetched_day_has_its_texts_cleaned(monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    at = "2025-03-30T11:00:00+02:00"
    order = day_mod.order(1, at, [day_mod.line_item(11, 5, "MUG\x00", "Mug", 1, "12.00",
                                                    [day_mod.tax_line(0.2, "2.00")])])
    state = ShopifyState(orders=[order], tender_transactions=[day_mod.tender(1, 1, "12.00", at, "cash\x00\u202e")],
                         products=[{"id": 5, "title": "Mug", "product_type": "Vaisse\u0300lle" + "x" * 300}],
                         token="shpat_secret")
    with serve(create_app(state)) as srv:
        tenant = day_mod.make_tenant(srv.url)
        source = ShopifySource(tenant)
        try:
            day = source.fetch(SalesPeriod(tenant, date(2025, 3, 30), date(2025, 3, 31)))
        finally:
            source.close()
    line = day.sales_lines.iloc[0]
    assert (line["sku"], line["category"]) == ("MUG", ("Vaissèlle" + "x" * 300)[:255])
    assert day.payments["method"].tolist() == ["cash"]
