"""Zelty parser on payloads shaped like Zelty's API reference (OpenAPI 3.1, v2.10).

Shapes: ``GET /orders`` 200 example (``id, uuid, device_id, ref, id_restaurant, created_at,
closed_at, mode, source, status, price{final_amount_inc_tax, final_amount_exc_tax, discounts[],
taxes[]}, transactions[], items[], channel``), schemas ``OrderEntryGet`` (``price{
original_amount_inc_tax, discounted_amount_inc_tax, final_amount_inc_tax}, tax{tax_amount,
tax_rate}``), ``OrderTransaction`` (``device_id, price, date, id_transaction_method, method``),
``Tax`` (``rate`` in hundredths of a percent, "1000 = 10%", ``amount, inc_tax, exc_tax``) and
``Closure`` (``id, id_restaurant, created_at, date, turnover, comment, taxes``), all money in cents.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.errors import SourceDataError
from core.frames import PAYMENT_COLUMNS, SALES_LINE_COLUMNS, make_frame
from resources.sources.zelty.parser import parse_closure_day, rate_from_hundredths
from resources.tenants import TenantConfig

DAY = date(2025, 3, 14)


def tenant() -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "brasserie-zt", "name": "Brasserie ZT", "siret": "44306184100047", "start_date": "2025-01-01",
        "source": {"type": "zelty", "credentials": {"api_key": "ZELTY_KEY"}, "settings": {"restaurant_ids": [5146]}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


def entry(item_id, name, final, tax_amount, rate, original=None):
    return {"course": 1, "name": name, "type": "dish", "item_id": item_id,
            "price": {"base_original_amount_inc_tax": original or final, "original_amount_inc_tax": original or final,
                      "discounted_amount_inc_tax": final, "final_amount_inc_tax": final},
            "tax": {"tax_amount": tax_amount, "tax_rate": rate}, "modifiers": []}


def order(oid, closed_at, mode, total, exc, taxes, items, transactions, discounts=()):
    return {"id": oid, "uuid": f"000033-{oid}", "comment": None, "device_id": 47553, "closed_by_device_id": 47553,
            "remote_id": None, "ref": f"t{oid % 100}", "loyalty": 0, "seats": 2, "table": 10, "id_restaurant": 5146,
            "created_at": closed_at, "closed_at": closed_at, "due_date": None, "mode": mode, "source": "pos",
            "status": "ended",
            "price": {"final_amount_inc_tax": total, "final_amount_exc_tax": exc, "discounts": list(discounts),
                      "taxes": taxes},
            "transactions": transactions, "items": items, "customer": None, "channel": "Zelty Caisse",
            "virtual_brand_name": None, "first_name": None, "user": "Julien"}


def tax(rate, amount, inc):
    return {"rate": rate, "name": f"TVA {rate / 100:g}%", "amount": amount, "inc_tax": inc, "exc_tax": inc - amount}


def tr(method, price, at, method_id=1):
    return {"device_id": 47553, "price": price, "date": at, "id_transaction_method": method_id, "method": method}


def hand_closure() -> dict:
    return {"id": 109, "id_restaurant": 5146, "created_at": "2025-03-15T01:12:00+01:00", "date": "2025-03-14",
            "turnover": 3559, "comment": None, "taxes": 365}


def hand_orders() -> list[dict]:
    """Closure 109 of 2025-03-14: a tip by overflow, a discount, two rates, a late order, a refund."""
    return [
        order(204276623, "2025-03-14T13:05:00+01:00", "eat_in", 3440, 3086,
              [tax(1000, 264, 2900), tax(2000, 90, 540)],
              [entry("312", "Plat du jour", 1450, 132, 1000), entry("312", "Plat du jour", 1450, 132, 1000),
               entry("318", "Verre de vin", 540, 90, 2000, original=600)],
              # The card took 36.40 for a 34.40 bill: the method allows overflow, 2.00 is the tip.
              [tr("Carte bancaire", 3640, "2025-03-14T13:05:00+01:00")],
              discounts=[{"type": "item", "amount": 60, "label": "Remise 10 % vin"}]),
        # Rung up at 00:30 on the 15th, still in the till session closed by closure 109; 10 % off the order.
        order(204276624, "2025-03-15T00:30:00+01:00", "takeaway", 909, 826, [tax(1000, 83, 909)],
              [entry("301", "Café", 220, 20, 1000), entry("305", "Tarte Tatin", 790, 72, 1000)],
              [tr("Espèces", 909, "2025-03-15T00:30:00+01:00", 2)],
              discounts=[{"type": "order", "amount": 101, "label": "Fidélité 10 %"}]),
        # Refund of a tarte sold on the 12th.
        order(204276625, "2025-03-14T19:40:00+01:00", "eat_in", -790, -718, [tax(1000, -72, -790)],
              [entry("305", "Tarte Tatin", -790, -72, 1000)],
              [tr("Espèces", -790, "2025-03-14T19:40:00+01:00", 2)]),
    ]


def hand_expected() -> tuple[pd.DataFrame, pd.DataFrame]:
    def line(order_id, lid, pid, qty, gross, vat, rate, kind="item", refund=False):
        return {"order_id": order_id, "line_id": lid, "location": "5146", "kind": kind, "product_id": pid,
                "sku": "", "category": "", "quantity": qty, "net_cents": gross - vat, "vat_rate": rate,
                "vat_cents": vat, "gross_cents": gross, "country": "FR", "is_refund": refund, "currency": "EUR"}

    lines = make_frame([
        line("204276623", "204276623-1", "312", 1.0, 1450, 132, "10"),
        line("204276623", "204276623-2", "312", 1.0, 1450, 132, "10"),
        line("204276623", "204276623-3", "318", 1.0, 540, 90, "20"),
        line("204276624", "204276624-1", "301", 1.0, 220, 20, "10"),
        line("204276624", "204276624-2", "305", 1.0, 790, 72, "10"),
        line("204276624", "204276624-discount-10", "", 1.0, -101, -9, "10", kind="discount"),
        line("204276625", "204276625-1", "305", -1.0, -790, -72, "10", refund=True),
    ], SALES_LINE_COLUMNS)
    payments = make_frame([
        {"order_id": "204276623", "payment_id": "204276623-T1", "location": "5146", "method": "Carte bancaire",
         "amount_cents": 3640, "tip_cents": 200, "is_refund": False, "currency": "EUR"},
        {"order_id": "204276624", "payment_id": "204276624-T1", "location": "5146", "method": "Espèces",
         "amount_cents": 909, "tip_cents": 0, "is_refund": False, "currency": "EUR"},
        {"order_id": "204276625", "payment_id": "204276625-T1", "location": "5146", "method": "Espèces",
         "amount_cents": -790, "tip_cents": 0, "is_refund": True, "currency": "EUR"},
    ], PAYMENT_COLUMNS)
    return lines, payments


def test_hand_computed_closure_day_parses_to_exact_frames():
    day = parse_closure_day([(hand_closure(), hand_orders())], tenant=tenant(), day=DAY)
    lines, payments = hand_expected()
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert day.notes == ["closure 109 (restaurant 5146): turnover 3559 matches the orders incl. VAT, taxes 365"]
    assert day.payments.amount_cents.sum() == day.sales_lines.gross_cents.sum() + day.payments.tip_cents.sum()


@pytest.mark.parametrize(("value", "rate"), [(2000, "20"), (1000, "10"), (550, "5.5"), (210, "2.1"), (0, "0")])
def test_rates_are_hundredths_of_a_percent(value, rate):
    assert rate_from_hundredths(value) == rate


def test_a_closure_that_does_not_match_its_orders_is_a_source_error():
    closure = {**hand_closure(), "turnover": 3600}
    with pytest.raises(SourceDataError) as exc:
        parse_closure_day([(closure, hand_orders())], tenant=tenant(), day=DAY)
    assert str(exc.value) == ("[source] tenant brasserie-zt, day 2025-03-14, record closure 109, field turnover: "
                              "the closure's turnover is 3600 cents, its orders total 3559 cents incl. VAT "
                              "(3194 excl. VAT)")


def test_items_not_adding_up_to_the_order_total_name_the_order():
    orders = hand_orders()
    orders[0]["price"]["final_amount_inc_tax"] = 3500
    with pytest.raises(SourceDataError) as exc:
        parse_closure_day([(hand_closure(), orders)], tenant=tenant(), day=DAY)
    assert (exc.value.record, exc.value.field_name) == ("204276623", "price.final_amount_inc_tax")
    assert "lines add up to 3440 cents, the order total is 3500" in str(exc.value)


def test_an_amount_that_is_not_cents_is_a_source_error():
    orders = hand_orders()
    orders[1]["transactions"][0]["price"] = "9.09"
    with pytest.raises(SourceDataError) as exc:
        parse_closure_day([(hand_closure(), orders)], tenant=tenant(), day=DAY)
    assert str(exc.value) == ("[source] tenant brasserie-zt, day 2025-03-14, record 204276624/204276624-T1, "
                              "field price: '9.09' is not an amount in cents")


def test_opened_and_cancelled_orders_are_left_out():
    orders = hand_orders()
    orders.append({**orders[1], "id": 204276700, "status": "cancelled"})
    day = parse_closure_day([(hand_closure(), orders)], tenant=tenant(), day=DAY)
    assert "204276700" not in set(day.sales_lines.order_id)
    assert day.notes[-1] == "closure 109: 1 order(s) not ended were ignored"
