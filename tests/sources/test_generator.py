"""The realistic-day generator: money rules, determinism, French realism, ground-truth frames."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.frames import ClosureTotals, Payments, SalesLines
from emulators.generator import (
    UNKNOWN_METHODS,
    expected_frames,
    generate_day,
    line_gross_cents,
    round_half_up,
    split_gross,
)

PARIS = ZoneInfo("Europe/Paris")
DST_START = date(2026, 3, 29)  # clocks go forward in Paris: a 23-hour business day


@pytest.mark.parametrize(
    ("gross", "rate", "expected"),
    [
        (1450, "10", (1318, 132)),  # 131.82 → 132
        (105, "5.5", (100, 5)),  # 5.47 → 5
        (3, "20", (2, 1)),  # exactly 0.5 → half up
        (-3, "20", (-2, -1)),  # refunds mirror sales
        (1000, "2.1", (979, 21)),  # 20.57 → 21
        (999, "0", (999, 0)),
        (2250, "0.9", (2230, 20)),  # 0.9 % (Corsica) is a percent, never read as a fraction
    ],
)
def test_split_gross_extracts_vat_from_the_gross_half_up(gross, rate, expected):
    assert split_gross(gross, rate) == expected


def test_line_gross_rounds_weight_times_price_half_up_then_subtracts_the_discount():
    assert line_gross_cents(Decimal("0.412"), 690, 0) == 284  # 284.28
    assert line_gross_cents(Decimal("0.250"), 690, 0) == 173  # 172.5 → 173
    assert line_gross_cents(Decimal("3"), 495, 149) == 1336
    assert round_half_up(Decimal("-172.5")) == -173


def test_same_profile_day_and_seed_give_the_same_day_and_another_seed_does_not():
    a = generate_day("restaurant", date(2026, 5, 12), seed=7)
    b = generate_day("restaurant", date(2026, 5, 12), seed=7)
    c = generate_day("restaurant", date(2026, 5, 12), seed=8)
    assert a == b
    assert [o.closed_at for o in a.orders] != [o.closed_at for o in c.orders]


@pytest.mark.parametrize("profile", ["restaurant", "shop", "bakery", "ecommerce"])
def test_orders_close_inside_the_local_business_day_even_on_dst_day(profile):
    day = generate_day(profile, DST_START, seed=1)
    assert day.orders
    for o in day.orders:
        assert o.closed_at.utcoffset().total_seconds() == 0
        assert o.closed_at.astimezone(PARIS).date() == DST_START, o.order_id
    assert [o.closed_at for o in day.orders] == sorted(o.closed_at for o in day.orders)


@pytest.mark.parametrize("profile", ["restaurant", "shop", "bakery", "ecommerce"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_order_is_paid_exactly_and_tips_sit_on_top(profile, seed):
    day = generate_day(profile, date(2026, 6, 5), seed=seed, countries=["DE", "IT"], locations=2)
    for o in day.orders:
        paid = sum(p.amount_cents - p.tip_cents for p in o.payments)
        assert paid == o.gross_cents, o.order_id
        for p in o.payments:
            assert p.tip_cents >= 0
            if p.tip_cents:
                assert profile == "restaurant"
                assert p.method in ("Carte bancaire", "American Express")


def test_restaurant_day_has_french_restaurant_rates_meal_vouchers_tips_and_cash():
    day = generate_day("restaurant", date(2026, 6, 5), seed=1, unknown_methods=False)
    rates = {line.vat_rate for o in day.orders for line in o.lines}
    assert rates == {"10", "20", "5.5"}
    for o in day.orders:
        for line in o.lines:
            if line.category == "Boissons alcoolisées":
                assert line.vat_rate == "20"
            if line.category in ("Plats", "Entrées", "Desserts"):
                assert line.vat_rate == "10"
    methods = set(day.payment_methods)
    assert {"Carte bancaire", "Espèces", "Titre-restaurant"} <= methods
    assert not methods & set(UNKNOWN_METHODS)
    assert sum(o.tip_cents for o in day.orders) > 0


def test_bakery_is_cash_heavy_with_ticket_resto_and_three_rates():
    day = generate_day("bakery", date(2026, 6, 5), seed=2)
    counts: dict[str, int] = {}
    for o in day.orders:
        for p in o.payments:
            counts[p.method] = counts.get(p.method, 0) + 1
    assert max(counts, key=counts.get) == "Espèces"
    assert "Ticket Resto" in counts
    assert {line.vat_rate for o in day.orders for line in o.lines} == {"5.5", "10", "20"}
    weighed = [line for o in day.orders for line in o.lines if line.sku == "CAMPAGNE-KG"]
    assert weighed and any(line.quantity != line.quantity.to_integral_value() for line in weighed)


def test_unknown_method_names_appear_when_asked():
    seen = set()
    for seed in range(1, 4):
        seen |= set(generate_day("restaurant", date(2026, 6, 5), seed=seed).payment_methods)
    assert seen & set(UNKNOWN_METHODS)


def test_shop_refunds_are_negative_orders_referring_to_an_earlier_order():
    day = generate_day("shop", date(2026, 6, 5), seed=4)
    refunds = [o for o in day.orders if o.is_refund]
    assert refunds
    by_id = {o.order_id: o for o in day.orders}
    for r in refunds:
        assert r.refund_of
        assert all(line.gross_cents <= 0 and line.quantity < 0 for line in r.lines)
        assert all(p.amount_cents < 0 for p in r.payments)
        original = by_id.get(r.refund_of)
        if original is not None:
            assert original.closed_at < r.closed_at
            assert {line.sku for line in r.lines} <= {line.sku for line in original.lines}
        else:  # refund of an order of an earlier day
            assert r.refund_of.split("-")[2] < f"{day.day:%Y%m%d}"
    assert not [o for o in generate_day("shop", date(2026, 6, 5), seed=4, refunds=False).orders if o.is_refund]


def test_ecommerce_oss_orders_use_the_destination_country_rates_and_pay_shipping():
    day = generate_day("ecommerce", date(2026, 6, 5), seed=1, countries=["DE", "IT"], n_orders=80)
    by_country: dict[str, set[str]] = {}
    for o in day.orders:
        by_country.setdefault(o.country, set()).update(line.vat_rate for line in o.lines)
        if o.country != "FR" and not o.is_refund:
            assert [line.kind for line in o.lines].count("shipping") == 1
    assert by_country["FR"] <= {"20", "5.5"}
    assert by_country["DE"] <= {"19", "7"} and "19" in by_country["DE"]
    assert by_country["IT"] <= {"22", "4"} and "22" in by_country["IT"]
    assert any(line.discount_gross_cents > 0 for o in day.orders for line in o.lines)
    assert all(o.customer_email for o in day.orders if not o.is_refund)


@pytest.mark.parametrize("profile", ["restaurant", "shop", "bakery", "ecommerce"])
def test_expected_frames_are_valid_canonical_frames_that_balance(profile):
    day = generate_day(profile, date(2026, 6, 5), seed=5, locations=2, countries=["DE"])
    frames = expected_frames(day, with_closures=True)
    SalesLines.validate(frames.sales_lines)
    Payments.validate(frames.payments)
    ClosureTotals.validate(frames.closure_totals)
    lines, pays, z = frames.sales_lines, frames.payments, frames.closure_totals
    assert pays.amount_cents.sum() == lines.gross_cents.sum() + pays.tip_cents.sum()
    assert len(lines) == sum(len(o.lines) for o in day.orders)
    zp, zv = z[z.dimension == "payment"], z[z.dimension == "vat"]
    assert zp.amount_cents.sum() == pays.amount_cents.sum()
    assert zv.amount_cents.sum() == lines.gross_cents.sum()
    assert zv.vat_cents.sum() == lines.vat_cents.sum()
    assert set(z.location) == {"loc-1", "loc-2"}


def test_expected_frames_row_matches_the_simulated_line():
    day = generate_day("restaurant", date(2026, 6, 5), seed=1)
    order = day.orders[0]
    line = order.lines[0]
    row = expected_frames(day).sales_lines.iloc[0].to_dict()
    net, vat = split_gross(line.gross_cents, line.vat_rate)
    assert row == {
        "order_id": order.order_id, "line_id": line.line_id, "location": "loc-1", "kind": "item",
        "product_id": line.product_id, "sku": line.sku, "category": line.category,
        "quantity": float(line.quantity), "net_cents": net, "vat_rate": line.vat_rate, "vat_cents": vat,
        "gross_cents": line.gross_cents, "country": "FR", "is_refund": False, "currency": "EUR",
        "buyer_vat_id": "",
    }
    assert expected_frames(day, without=("sku",)).sales_lines.sku.eq("").all()
