"""End to end against the Pennylane emulator over a real socket: every seed-004 option in both
settings, with exact levels (quantities as Decimals: on hand, reserved, available)."""

from __future__ import annotations

from decimal import Decimal as D

from pipelines.stock.receipts import ReceiptLine, record_receipt


def stocked(env, pl_product: int, qty: int, receipt: str = "R-init", location: str | None = None) -> None:
    prod = env.store.product_by_pennylane_id(env.tenant.slug, pl_product)
    record_receipt(env.store, env.tenant, receipt, "2026-03-01", "Grossiste", [ReceiptLine(prod["sku"], str(qty), "4.00")],
                   location)


def test_invoice_decrements_on_hand_and_available_by_default(stock_env):
    env = stock_env()
    p = env.pl.product("Savon lavande", "SAV-LAV")
    c = env.pl.customer("Hôtel du Lac", "compta@lac.fr")
    env.sync()
    stocked(env, p["id"], 10)
    env.pl.invoice(c["id"], (p["id"], 3))
    report = env.sync()
    assert report.movements_added == 2  # the receipt and the invoice line
    assert env.level(p["id"]) == (D(7), D(0), D(7))
    # Re-running moves nothing.
    again = env.sync()
    assert again.movements_added == 0 and again.documents_changed == []
    assert env.level(p["id"]) == (D(7), D(0), D(7))


def test_purchasing_order_then_delivery_note_default_mode(stock_env):
    env = stock_env()
    p = env.pl.product("Bougie", "BOU-1")
    c = env.pl.customer("Epicerie Fine", "achat@epicerie.fr")
    env.sync()
    stocked(env, p["id"], 20)
    env.pl.commercial("purchasing_order", c["id"], (p["id"], 5))
    env.sync()
    assert env.level(p["id"]) == (D(15), D(0), D(15))  # the order moves on hand and available
    env.pl.commercial("shipping_order", c["id"], (p["id"], 5), day="2026-03-03")
    env.sync(full=True)
    assert env.level(p["id"]) == (D(15), D(0), D(15))  # the delivery note does not move it again


def test_purchasing_order_then_delivery_note_with_delivery_notes_update_on_hand(stock_env):
    env = stock_env(delivery_notes_update_on_hand=True)
    p = env.pl.product("Bougie", "BOU-1")
    c = env.pl.customer("Epicerie Fine", "achat@epicerie.fr")
    env.sync()
    stocked(env, p["id"], 20)
    env.pl.commercial("purchasing_order", c["id"], (p["id"], 5))
    env.sync()
    assert env.level(p["id"]) == (D(20), D(5), D(15))  # reserved only
    env.pl.commercial("shipping_order", c["id"], (p["id"], 3), day="2026-03-03")
    env.sync()
    assert env.level(p["id"]) == (D(17), D(2), D(15))  # partial delivery
    env.pl.commercial("shipping_order", c["id"], (p["id"], 2), day="2026-03-04")
    env.pl.commercial("shipping_order", c["id"], (p["id"], 5), day="2026-03-05")  # same order, again
    env.sync()
    assert env.level(p["id"]) == (D(15), D(0), D(15))  # never moved twice for the same order
    assert env.level(p["id"], day="2026-03-03") == (D(17), D(2), D(15))  # end-of-day history


def test_invoice_reserves_until_delivered_with_delivery_notes_update_on_hand(stock_env):
    env = stock_env(delivery_notes_update_on_hand=True)
    p = env.pl.product("Thé vert", "THE-V")
    c = env.pl.customer("Salon", "salon@the.fr")
    env.sync()
    stocked(env, p["id"], 10)
    env.pl.invoice(c["id"], (p["id"], 4))
    env.sync()
    assert env.level(p["id"]) == (D(10), D(4), D(6))
    env.pl.commercial("shipping_order", c["id"], (p["id"], 4), day="2026-03-03")
    env.sync()
    assert env.level(p["id"]) == (D(6), D(0), D(6))


def test_credit_note_without_restocking_is_a_return_only(stock_env):
    env = stock_env()
    p = env.pl.product("Tasse", "TAS-1")
    c = env.pl.customer("Café", "cafe@cafe.fr")
    env.sync()
    stocked(env, p["id"], 10)
    inv = env.pl.invoice(c["id"], (p["id"], 4))
    env.pl.credit_note(c["id"], inv["id"], (p["id"], 1), day="2026-03-04")
    env.sync()
    assert env.level(p["id"]) == (D(6), D(0), D(6))
    returns = [m for m in env.store.movements(env.tenant.slug) if m.kind == "credit_note"]
    assert [(m.returned, m.on_hand, m.reason) for m in returns] == [(1000, 0, "return (not restocked)")]


def test_credit_note_with_restocking_puts_goods_back_on_hand(stock_env):
    env = stock_env(credit_note_restocks=True)
    p = env.pl.product("Tasse", "TAS-1")
    c = env.pl.customer("Café", "cafe@cafe.fr")
    env.sync()
    stocked(env, p["id"], 10)
    inv = env.pl.invoice(c["id"], (p["id"], 4))
    env.pl.credit_note(c["id"], inv["id"], (p["id"], 1), day="2026-03-04")
    env.sync()
    assert env.level(p["id"]) == (D(7), D(0), D(7))
    assert env.level(p["id"], day="2026-03-03") == (D(6), D(0), D(6))


def test_edited_and_deleted_invoice_yield_compensating_movements(stock_env):
    env = stock_env()
    p = env.pl.product("Miel", "MIEL")
    c = env.pl.customer("Marché", "m@marche.fr")
    env.sync()
    inv = env.pl.invoice(c["id"], (p["id"], 2))
    env.sync()
    assert env.level(p["id"]) == (D(-2), D(0), D(-2))
    env.pl.edit("customer_invoices", inv["id"], {"lines": env.pl.lines((p["id"], 5))})
    env.sync()
    assert env.level(p["id"]) == (D(-5), D(0), D(-5))
    env.pl.delete("customer_invoices", inv["id"])
    env.sync()
    assert env.level(p["id"]) == (D(0), D(0), D(0))
    keys = sorted((m.key.split("|")[1], m.on_hand) for m in env.store.movements(env.tenant.slug))
    # The edit replaced the line (new line id): v2 takes the old line back and moves the new one.
    assert keys == [("v1", -2000), ("v2", -5000), ("v2", 2000), ("v3", 5000)]


def test_locations_default_and_receipts_elsewhere(stock_env):
    env = stock_env(locations=["entrepot", "camion"], default_location="entrepot")
    p = env.pl.product("Vis", "VIS-4")
    c = env.pl.customer("Artisan", "a@artisan.fr")
    env.sync()
    stocked(env, p["id"], 100, receipt="R1")
    stocked(env, p["id"], 30, receipt="R2", location="camion")
    env.pl.invoice(c["id"], (p["id"], 12))
    env.sync()
    assert env.level(p["id"], "entrepot") == (D(88), D(0), D(88))
    assert env.level(p["id"], "camion") == (D(30), D(0), D(30))


def test_receipt_sent_as_supplier_invoice_exactly_once(stock_env):
    env = stock_env(send_receipts_as_supplier_invoices=True)
    supplier = env.pl.client.create_supplier({"name": "Grossiste SA"})
    env = type(env)(env.tenant.model_copy(update={"stock": env.tenant.stock.model_copy(
        update={"receipts_supplier_id": supplier["id"]})}), env.store, env.pl)
    p = env.pl.product("Savon", "SAV")
    env.sync()
    record_receipt(env.store, env.tenant, "BR-7", "2026-03-01", "Grossiste SA",
                   [ReceiptLine("SAV", "12", "2.50", "20"), ReceiptLine("SAV", "3", "1.99", "5.5")])
    report = env.sync()
    assert report.receipts_sent == ["BR-7"]
    assert env.level(p["id"]) == (D(15), D(0), D(15))
    invoices = list(env.pl.client.list_supplier_invoices())
    assert len(invoices) == 1
    si = invoices[0]
    # 12 × 2.50 = 30.00 (+6.00 VAT at 20 %); 3 × 1.99 = 5.97 (+0.33 VAT at 5.5 %).
    assert (si["currency_amount_before_tax"], si["currency_tax"], si["currency_amount"]) == ("35.97", "6.33", "42.30")
    assert si["invoice_number"] == "BR-7" and si["filename"] == "reception-BR-7.pdf"
    assert si["external_reference"] == f"stock-receipt-{env.tenant.slug}-BR-7"
    # Later syncs, a re-recorded receipt, and a retry from the "sending" state never send it again.
    record_receipt(env.store, env.tenant, "BR-7", "2026-03-01", "Grossiste SA",
                   [ReceiptLine("SAV", "12", "2.50", "20"), ReceiptLine("SAV", "3", "1.99", "5.5")])
    assert env.sync().receipts_sent == []
    env.store.save_receipt(env.tenant.slug, "BR-7", send_status="sending")  # as if we crashed after the POST
    env.sync()
    assert len(list(env.pl.client.list_supplier_invoices())) == 1
    assert env.store.receipt(env.tenant.slug, "BR-7")["supplier_invoice_id"] == si["id"]


def test_receipts_not_sent_when_the_option_is_off(stock_env):
    env = stock_env()
    p = env.pl.product("Savon", "SAV")
    env.sync()
    record_receipt(env.store, env.tenant, "BR-8", "2026-03-01", "Grossiste SA", [ReceiptLine("SAV", "5", "2.50")])
    assert env.sync().receipts_sent == []
    assert list(env.pl.client.list_supplier_invoices()) == []
    assert env.level(p["id"]) == (D(5), D(0), D(5))
    assert env.store.receipt(env.tenant.slug, "BR-8")["send_status"] == "local"
