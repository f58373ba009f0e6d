"""The stock rules of seed 004, on the pure ledger functions (exact levels in thousandths)."""

from __future__ import annotations

from core.stock.levels import levels_at
from core.stock.movements import (
    DocLine,
    Movement,
    StockDocument,
    StockOptions,
    from_milli,
    plan_movements,
    to_milli,
)

DEFAULT = StockOptions()
DELIVERY = StockOptions(delivery_notes_update_on_hand=True)
RESTOCK = StockOptions(credit_note_restocks=True)


def doc(doc_id, kind, lines, *, version=1, date="2026-03-02", location="main", **kw):
    return StockDocument(doc_id, kind, version, date, location,
                         tuple(DocLine(f"l{i}", p, q * 1000) for i, (p, q) in enumerate(lines)), **kw)


def run(docs, options, ledger=()):
    ledger = list(ledger)
    new = plan_movements(docs, ledger, options)
    return ledger + new, new


def level(ledger, product="P1", location="main", day="2026-12-31"):
    frame = levels_at(ledger, day)
    row = frame[(frame["product"] == product) & (frame["location"] == location)]
    if not len(row):
        return (0, 0, 0)
    r = row.iloc[0]
    return (int(r.on_hand_milli) // 1000, int(r.reserved_milli) // 1000, int(r.available_milli) // 1000)


def test_quantities_are_exact_thousandths():
    assert to_milli("2.5") == 2500
    assert to_milli("-1") == -1000
    assert from_milli(2500) == from_milli(to_milli("2.500"))
    assert str(from_milli(2000)) == "2"


def test_receipt_then_invoice_default_moves_on_hand_and_available():
    docs = [doc("receipt:R1", "receipt", [("P1", 10)], date="2026-03-01"),
            doc("inv:1", "invoice", [("P1", 3)], customer="C1")]
    ledger, _ = run(docs, DEFAULT)
    assert level(ledger) == (7, 0, 7)
    assert level(ledger, day="2026-03-01") == (10, 0, 10)


def test_order_reserves_and_delivery_moves_on_hand_once_in_delivery_mode():
    receipt = doc("receipt:R1", "receipt", [("P1", 10)], date="2026-03-01")
    order = doc("po:1", "purchasing_order", [("P1", 4)], customer="C1")
    ledger, _ = run([receipt, order], DELIVERY)
    assert level(ledger) == (10, 4, 6)
    dn1 = doc("dn:1", "shipping_order", [("P1", 4)], customer="C1", date="2026-03-03")
    ledger, _ = run([receipt, order, dn1], DELIVERY, ledger)
    assert level(ledger) == (6, 0, 6)
    # A second delivery note for the same order never moves on hand twice.
    dn2 = doc("dn:2", "shipping_order", [("P1", 4)], customer="C1", date="2026-03-04")
    ledger, new = run([receipt, order, dn1, dn2], DELIVERY, ledger)
    assert level(ledger) == (6, 0, 6)
    assert new == []


def test_delivery_note_in_default_mode_moves_nothing():
    docs = [doc("receipt:R1", "receipt", [("P1", 10)]), doc("po:1", "purchasing_order", [("P1", 4)], customer="C1"),
            doc("dn:1", "shipping_order", [("P1", 4)], customer="C1")]
    ledger, _ = run(docs, DEFAULT)
    assert level(ledger) == (6, 0, 6)


def test_invoice_of_the_same_sale_supersedes_its_purchasing_order():
    po = doc("po:1", "purchasing_order", [("P1", 4)], customer="C1", order_ref="quote:9")
    ledger, _ = run([po], DEFAULT)
    assert level(ledger) == (-4, 0, -4)
    inv = doc("inv:1", "invoice", [("P1", 4)], customer="C1", order_ref="quote:9", date="2026-03-05")
    ledger, new = run([po, inv], DEFAULT, ledger)
    assert level(ledger) == (-4, 0, -4)  # one order, not two
    assert {(m.doc_id, m.on_hand) for m in new} == {("po:1", 4000), ("inv:1", -4000)}


def test_credit_note_is_a_return_restocked_only_with_the_option():
    docs = [doc("receipt:R1", "receipt", [("P1", 10)]), doc("inv:1", "invoice", [("P1", 3)]),
            doc("cn:1", "credit_note", [("P1", 2)], credited_doc="inv:1")]
    ledger, new = run(docs, DEFAULT)
    assert level(ledger) == (7, 0, 7)
    assert [(m.doc_id, m.returned, m.on_hand) for m in new if m.kind == "credit_note"] == [("cn:1", 2000, 0)]
    ledger, _ = run(docs, RESTOCK)
    assert level(ledger) == (9, 0, 9)


def test_credit_note_cancels_undelivered_reservation_in_delivery_mode():
    docs = [doc("receipt:R1", "receipt", [("P1", 10)]), doc("inv:1", "invoice", [("P1", 3)], customer="C1"),
            doc("cn:1", "credit_note", [("P1", 3)], credited_doc="inv:1")]
    ledger, _ = run(docs, StockOptions(delivery_notes_update_on_hand=True, credit_note_restocks=True))
    assert level(ledger) == (10, 0, 10)


def test_rereading_the_same_version_moves_nothing_and_edits_compensate():
    inv = doc("inv:1", "invoice", [("P1", 3)])
    ledger, _ = run([inv], DEFAULT)
    ledger, new = run([inv], DEFAULT, ledger)
    assert new == []
    edited = doc("inv:1", "invoice", [("P1", 5)], version=2)
    ledger, new = run([edited], DEFAULT, ledger)
    assert [(m.key, m.on_hand) for m in new] == [("inv:1|v2|l0|P1@main", -2000)]
    assert level(ledger) == (-5, 0, -5)
    deleted = StockDocument("inv:1", "invoice", 3, "2026-03-02", "main", edited.lines, active=False)
    ledger, new = run([deleted], DEFAULT, ledger)
    assert [(m.key, m.on_hand) for m in new] == [("inv:1|v3|l0|P1@main", 5000)]
    assert level(ledger) == (0, 0, 0)
    ledger, new = run([deleted], DEFAULT, ledger)
    assert new == []


def test_product_change_on_a_line_moves_stock_between_products():
    ledger, _ = run([doc("inv:1", "invoice", [("P1", 2)])], DEFAULT)
    ledger, _ = run([doc("inv:1", "invoice", [("P2", 2)], version=2)], DEFAULT, ledger)
    assert level(ledger, "P1") == (0, 0, 0)
    assert level(ledger, "P2") == (-2, 0, -2)


def test_locations_are_kept_per_document_and_levels_per_location():
    docs = [doc("receipt:R1", "receipt", [("P1", 5)], location="truck"),
            doc("receipt:R2", "receipt", [("P1", 7)], location="main"),
            doc("inv:1", "invoice", [("P1", 2)], location="main")]
    ledger, _ = run(docs, DEFAULT)
    assert level(ledger, location="truck") == (5, 0, 5)
    assert level(ledger, location="main") == (5, 0, 5)


def test_levels_are_end_of_day_and_zero_rows_are_filled():
    ledger, _ = run([doc("inv:1", "invoice", [("P1", 2)], date="2026-03-05")], DEFAULT)
    frame = levels_at(ledger, "2026-03-04", locations=["main", "truck"], products=["P1"])
    assert frame.to_dict("records") == [
        {"product": "P1", "location": "main", "on_hand_milli": 0, "reserved_milli": 0, "available_milli": 0},
        {"product": "P1", "location": "truck", "on_hand_milli": 0, "reserved_milli": 0, "available_milli": 0},
    ]


def test_concurrent_plans_produce_the_same_keys():
    docs = [doc("inv:1", "invoice", [("P1", 2)])]
    a = plan_movements(docs, [], DEFAULT)
    b = plan_movements(docs, [], DEFAULT)
    assert a == b and all(isinstance(m, Movement) for m in a)
