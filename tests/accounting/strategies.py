"""Builders and hypothesis strategies for canonical sales frames (tests only).

``sale(...)`` / ``pay(...)`` build one row with every column filled, so that tests spell out only
what matters; ``consistent_days()`` draws a whole day whose payments equal its lines' gross plus
tips — the invariant of ``core.frames`` — with refunds, discounts, shipping, gift
cards, several payment methods and locations.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from hypothesis import strategies as st

from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, make_frame
from resources.tenants import TenantConfig

DAY = date(2026, 11, 21)
NEXT_DAY = date(2026, 11, 22)
FR_RATES = ("0", "2.1", "5.5", "10", "20")
# Generated 0 % lines are of this category, which ``EXEMPTIONS`` declares exempt (the tenant
# must say why a line carries no VAT).
EXEMPT_CATEGORY = "Formation"
EXEMPTIONS = {"categories": {EXEMPT_CATEGORY: "CGI art. 261-4-4° a (formation professionnelle continue)"}}
METHODS = (
    "Espèces", "CB", "Carte bancaire", "Ticket Restaurant", "Swile", "Chèque", "Carte cadeau",
    "Virement", "Lydia", "Paygreen",
)


def tenant(slug: str = "bistro", name: str = "Le Bistro", **overrides) -> TenantConfig:
    """A valid tenant; ``accounting=``/``frequency=``/``country=`` etc. override the defaults."""
    raw = {
        "slug": slug, "name": name, "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "toporder"}, "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST"},
    }
    raw.update(overrides)
    return TenantConfig.model_validate(raw)


def sale(order: str, line: str, net: int, rate: str, vat: int, **kw) -> dict:
    row = {
        "order_id": order, "line_id": line, "location": "", "kind": "item", "product_id": "",
        "sku": "", "category": "", "quantity": 1.0, "net_cents": net, "vat_rate": rate,
        "vat_cents": vat, "gross_cents": net + vat, "country": "FR", "is_refund": False,
        "currency": "EUR",
    }
    row.update(kw)
    return row


def pay(order: str, payment: str, method: str, amount: int, tip: int = 0, **kw) -> dict:
    row = {
        "order_id": order, "payment_id": payment, "location": "", "method": method,
        "amount_cents": amount, "tip_cents": tip, "is_refund": False, "currency": "EUR",
    }
    row.update(kw)
    return row


def closure(dimension: str, key: str, amount: int, net: int = 0, vat: int = 0, location: str = "") -> dict:
    return {"location": location, "dimension": dimension, "key": key, "amount_cents": amount,
            "net_cents": net, "vat_cents": vat}


def sales_frame(rows: list[dict]) -> pd.DataFrame:
    return make_frame(rows, SALES_LINE_COLUMNS)


def payments_frame(rows: list[dict]) -> pd.DataFrame:
    return make_frame(rows, PAYMENT_COLUMNS)


def closure_frame(rows: list[dict]) -> pd.DataFrame:
    return make_frame(rows, CLOSURE_COLUMNS)


def vat_of(net: int, rate: str) -> int:
    return int((Decimal(net) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ledger(entry) -> list[tuple[str, str, int, int]]:
    """A mapped entry's lines as (account, label, debit, credit) tuples, in line order."""
    df = entry.lines if hasattr(entry, "lines") else entry
    return [
        (r.account, r.label, int(r.debit_cents), int(r.credit_cents))
        for r in df.sort_values(["entry_key", "line_no"]).itertuples(index=False)
    ]


# --- hypothesis ---------------------------------------------------------------------------------

_line_kinds = st.sampled_from(("item", "item", "item", "shipping", "fee", "service_charge"))


@st.composite
def _order(draw, index: int, locations: tuple[str, ...], methods: tuple[str, ...], gift_cards: bool):
    order_id = f"O{index}"
    location = draw(st.sampled_from(locations))
    refund = draw(st.booleans()) and draw(st.booleans())  # ~1 order in 4 is a refund
    lines: list[dict] = []
    if gift_cards and not refund and draw(st.integers(0, 9)) == 0:
        amount = draw(st.integers(500, 20000))
        lines.append(sale(order_id, "1", amount, "0", 0, kind="gift_card", location=location))
    else:
        for n in range(draw(st.integers(1, 4))):
            rate = draw(st.sampled_from(FR_RATES))
            net = draw(st.integers(1, 50000))
            kind = draw(_line_kinds)
            category = draw(st.sampled_from(("", "Boissons", "Plats", "Desserts")))
            if rate == "0":  # a 0 % line only under a declared exemption: see EXEMPT_CATEGORY
                category = EXEMPT_CATEGORY
            lines.append(sale(order_id, str(n + 1), net, rate, vat_of(net, rate), kind=kind,
                              category=category, location=location))
        if not refund and draw(st.booleans()):  # a discount, never more than the first line
            first = lines[0]
            net = -draw(st.integers(1, max(1, first["net_cents"] // 2)))
            rate = first["vat_rate"]
            lines.append(sale(order_id, str(len(lines) + 1), net, rate, vat_of(net, rate),
                              kind="discount", category=first["category"], location=location))
    if refund:
        for row in lines:
            row.update(net_cents=-row["net_cents"], vat_cents=-row["vat_cents"],
                       gross_cents=-row["gross_cents"], is_refund=True)
    total = sum(row["gross_cents"] for row in lines)
    payments: list[dict] = []
    if total:
        parts = draw(st.integers(1, 3)) if abs(total) >= 3 else 1
        cuts = sorted(draw(st.lists(st.integers(1, abs(total) - 1), min_size=parts - 1, max_size=parts - 1,
                                    unique=True))) if parts > 1 else []
        bounds = [0, *cuts, abs(total)]
        sign = -1 if total < 0 else 1
        for k in range(len(bounds) - 1):
            piece = bounds[k + 1] - bounds[k]
            tip = 0 if refund else draw(st.sampled_from((0, 0, 0, 50, 100, 250, 1000)))
            payments.append(pay(order_id, f"{order_id}-P{k + 1}", draw(st.sampled_from(methods)),
                                sign * piece + tip, tip, is_refund=refund, location=location))
    return lines, payments


@st.composite
def consistent_days(
    draw,
    *,
    locations: tuple[str, ...] = ("",),
    methods: tuple[str, ...] = METHODS,
    gift_cards: bool = True,
    max_orders: int = 8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(sales_lines, payments)`` of one consistent day (payments = gross + tips, per order)."""
    lines: list[dict] = []
    payments: list[dict] = []
    for i in range(draw(st.integers(1, max_orders))):
        order_lines, order_payments = draw(_order(i + 1, locations, methods, gift_cards))
        lines += order_lines
        payments += order_payments
    return sales_frame(lines), payments_frame(payments)


accounting_options = st.fixed_dictionaries({
    "vat_exemptions": st.just(EXEMPTIONS),
    "sales_by": st.sampled_from(("vat_rate", "category")),
    "refunds_separate": st.booleans(),
    "discounts_separate": st.booleans(),
    "sales_accounts_by_rate": st.sampled_from(({}, {"10": "706", "20": "7071", "5.5": "7072"})),
    "sales_accounts_by_category": st.sampled_from(({}, {"Boissons": "707100", "Plats": "706100"})),
    "vat_accounts_by_rate": st.sampled_from(({}, {"20": "445712", "10": "445711"})),
    "shipping_account": st.sampled_from((None, "7085")),
    "refunds_account": st.sampled_from((None, "709")),
})
