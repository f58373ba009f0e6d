"""Hand-computed days → exact journal lines (account, label, debit, credit), in line order."""

from __future__ import annotations

from datetime import date

from core.accounting.checks import check_accounts_mapped, check_balanced
from core.accounting.mapping import map_period
from tests.accounting.strategies import (
    DAY,
    NEXT_DAY,
    closure,
    closure_frame,
    ledger,
    pay,
    payments_frame,
    sale,
    sales_frame,
    tenant,
)


def restaurant_day():
    lines = sales_frame([
        sale("A1", "1", 3000, "10", 300, category="Plats"),
        sale("A1", "2", 1500, "20", 300, category="Vins"),
        sale("A2", "1", 1800, "10", 180, category="Menus"),
        sale("A3", "1", 2000, "10", 200, category="Plats"),
        sale("A3", "2", 600, "5.5", 33, category="Desserts à emporter"),
        sale("A4", "1", 250, "10", 25, category="Boissons"),
    ])
    payments = payments_frame([
        pay("A1", "A1-1", "CB", 5600, tip=500),
        pay("A2", "A2-1", "Ticket Restaurant", 1900),
        pay("A2", "A2-2", "Espèces", 80),
        pay("A3", "A3-1", "Lydia", 2833),
        pay("A4", "A4-1", "Swile", 275),
    ])
    return lines, payments


def test_restaurant_day_with_tips_meal_vouchers_and_an_unknown_method():
    t = tenant("petit-zinc", "Le Petit Zinc")
    lines, payments = restaurant_day()
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)

    assert entry.entry_label == "Ventes 2026-11-21 — Le Petit Zinc"
    assert entry.entry_key == "petit-zinc-2026-11-21"
    assert ledger(entry) == [
        ("471", "Encaissements Lydia", 2833, 0),
        ("51121", "Encaissements Swile", 275, 0),
        ("51121", "Encaissements Ticket Restaurant", 1900, 0),
        ("5115", "Encaissements CB", 5600, 0),
        ("530", "Encaissements Espèces", 80, 0),
        ("4286", "Pourboires", 0, 500),
        ("707", "Ventes TVA 5,5 %", 0, 600),
        ("707", "Ventes TVA 10 %", 0, 7050),
        ("707", "Ventes TVA 20 %", 0, 1500),
        ("44571", "TVA collectée 5,5 %", 0, 33),
        ("44571", "TVA collectée 10 %", 0, 705),
        ("44571", "TVA collectée 20 %", 0, 300),
    ]
    assert list(entry.lines["line_no"]) == list(range(1, 13))
    assert list(entry.lines["kind"]) == ["payment"] * 5 + ["tip"] + ["sales"] * 3 + ["vat"] * 3
    assert entry.lines["mapped"].tolist() == [False] + [True] * 11
    assert entry.total_debit_cents == entry.total_credit_cents == 10688
    assert entry.unmapped_methods == ["Lydia"]
    assert entry.warnings == ["payment methods not mapped, booked to 471: 'Lydia'"]
    assert entry.tips_cents == 500
    assert entry.rounding_cents == 0
    assert entry.totals_by_method == {
        "CB": 5600, "Espèces": 80, "Lydia": 2833, "Swile": 275, "Ticket Restaurant": 1900,
    }
    assert entry.totals_by_rate == {
        "10": {"net_cents": 7050, "vat_cents": 705, "gross_cents": 7755},
        "20": {"net_cents": 1500, "vat_cents": 300, "gross_cents": 1800},
        "5.5": {"net_cents": 600, "vat_cents": 33, "gross_cents": 633},
    }
    assert check_balanced(entry.lines).passed

    outcome = check_accounts_mapped(t, entry)
    assert (outcome.passed, outcome.severity) == (False, "WARN")
    assert outcome.description == "payment methods not mapped (booked to 471): 'Lydia'"
    assert outcome.failure_cases[["order_id", "line_id", "field", "value"]].values.tolist() == [
        ["A3", "A3-1", "method", "Lydia"],
    ]


def test_tenant_mapping_by_exact_name_and_custom_accounts():
    t = tenant("petit-zinc", "Le Petit Zinc", accounting={
        "payment_methods": {"Lydia": "5116", "Ticket Restaurant": "51125"},
        "tips_account": "467",
        "sales_accounts_by_rate": {"10": "706", "5.5": "7072"},
        "vat_accounts_by_rate": {"10": "445712", "20": "445711"},
    })
    entry = map_period(t, DAY, NEXT_DAY, *restaurant_day())
    assert ledger(entry) == [
        ("51121", "Encaissements Swile", 275, 0),
        ("51125", "Encaissements Ticket Restaurant", 1900, 0),
        ("5115", "Encaissements CB", 5600, 0),
        ("5116", "Encaissements Lydia", 2833, 0),
        ("530", "Encaissements Espèces", 80, 0),
        ("467", "Pourboires", 0, 500),
        ("706", "Ventes TVA 10 %", 0, 7050),
        ("707", "Ventes TVA 20 %", 0, 1500),
        ("7072", "Ventes TVA 5,5 %", 0, 600),
        ("44571", "TVA collectée 5,5 %", 0, 33),
        ("445711", "TVA collectée 20 %", 0, 300),
        ("445712", "TVA collectée 10 %", 0, 705),
    ]
    assert entry.unmapped_methods == []
    assert entry.warnings == []
    assert check_accounts_mapped(t, entry).passed


def test_closure_totals_that_match_pass():
    t = tenant("petit-zinc", "Le Petit Zinc")
    lines, payments = restaurant_day()
    z = closure_frame([
        closure("payment", "CB", 5600), closure("payment", "Espèces", 80), closure("payment", "Lydia", 2833),
        closure("payment", "Swile", 275), closure("payment", "Ticket Restaurant", 1900),
        closure("vat", "10.0", 7755, 7050, 705), closure("vat", "20", 1800, 1500, 300),
        closure("vat", "5.50", 633),  # gross only: the split is not compared
    ])
    entry = map_period(t, DAY, NEXT_DAY, lines, payments, z)
    assert entry.total_debit_cents == 10688


def shop_day(cash: int = 3000):
    lines = sales_frame([
        sale("B1", "1", 1000, "20", 200),
        sale("B2", "1", 2500, "20", 500),
        sale("B3", "1", 4000, "20", 800),
        sale("R1", "1", -1000, "20", -200, is_refund=True),
    ])
    payments = payments_frame([
        pay("B1", "B1-1", "CB", 1200),
        pay("B2", "B2-1", "Espèces", cash),
        pay("B3", "B3-1", "CB", 4800),
        pay("R1", "R1-1", "CB", -1200, is_refund=True),
    ])
    return lines, payments


def test_refund_reduces_the_accounts_it_belongs_to():
    entry = map_period(tenant("boutique", "La Boutique"), DAY, NEXT_DAY, *shop_day())
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 4800, 0),
        ("530", "Encaissements Espèces", 3000, 0),
        ("707", "Ventes TVA 20 %", 0, 6500),
        ("44571", "TVA collectée 20 %", 0, 1300),
    ]


def test_refund_on_separate_lines_when_asked():
    t = tenant("boutique", "La Boutique", accounting={"refunds_separate": True, "refunds_account": "7091"})
    entry = map_period(t, DAY, NEXT_DAY, *shop_day())
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 4800, 0),
        ("530", "Encaissements Espèces", 3000, 0),
        ("707", "Ventes TVA 20 %", 0, 7500),
        ("7091", "Remboursements TVA 20 %", 1000, 0),
        ("44571", "TVA collectée 20 %", 0, 1300),
    ]


def test_refunds_beyond_takings_credit_the_payment_account():
    lines = sales_frame([sale("R9", "1", -5000, "20", -1000, is_refund=True), sale("B9", "1", 1000, "20", 200)])
    payments = payments_frame([pay("R9", "R9-1", "CB", -6000, is_refund=True), pay("B9", "B9-1", "CB", 1200)])
    entry = map_period(tenant("boutique", "La Boutique"), DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 0, 4800),
        ("707", "Ventes TVA 20 %", 4000, 0),
        ("44571", "TVA collectée 20 %", 800, 0),
    ]


def test_rounding_within_tolerance_goes_to_758_or_658():
    t = tenant("boutique", "La Boutique")
    over = map_period(t, DAY, NEXT_DAY, *shop_day(cash=3001))
    assert ledger(over)[-1] == ("758", "Écart d'arrondi", 0, 1)
    assert over.rounding_cents == 1
    assert over.lines.iloc[-1]["kind"] == "rounding"
    under = map_period(t, DAY, NEXT_DAY, *shop_day(cash=2996))  # 4 lines × 1 cent: 4 allowed
    assert ledger(under)[-1] == ("658", "Écart d'arrondi", 4, 0)
    assert under.total_debit_cents == under.total_credit_cents == 7800
    assert check_balanced(under.lines).passed


def test_by_category_with_shipping_discount_and_gift_cards():
    t = tenant("maison-lumiere", "Maison Lumière", accounting={
        "sales_by": "category",
        "sales_accounts_by_category": {"Bougies": "707100", "Thés": "707200"},
        "shipping_account": "708500",
        "discounts_separate": True,
    })
    lines = sales_frame([
        sale("C1", "1", 2000, "20", 400, category="Bougies"),
        sale("C1", "2", 1000, "5.5", 55, category="Thés"),
        sale("C1", "3", 500, "20", 100, kind="shipping"),
        sale("C1", "4", -200, "20", -40, kind="discount"),
        sale("C2", "1", 5000, "0", 0, kind="gift_card"),
        sale("C3", "1", 2000, "5.5", 110, category="Thés"),
        sale("C3", "2", 1000, "20", 200, category="Accessoires"),
    ])
    payments = payments_frame([
        pay("C1", "C1-1", "Shopify Payments", 3815),
        pay("C2", "C2-1", "Shopify Payments", 5000),
        pay("C3", "C3-1", "Gift card", 3000),
        pay("C3", "C3-2", "Shopify Payments", 310),
    ])
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("4191", "Encaissements Gift card", 3000, 0),
        ("5115", "Encaissements Shopify Payments", 9125, 0),
        ("4191", "Cartes cadeaux vendues", 0, 5000),
        ("707", "Ventes Accessoires TVA 20 %", 0, 1000),
        ("707100", "Ventes Bougies TVA 20 %", 0, 2000),
        ("707200", "Ventes Thés TVA 5,5 %", 0, 3000),
        ("708500", "Frais de port TVA 20 %", 0, 500),
        ("709", "Remises TVA 20 %", 200, 0),
        ("44571", "TVA collectée 5,5 %", 0, 165),
        ("44571", "TVA collectée 20 %", 0, 660),
    ]
    assert entry.unmapped_categories == ["Accessoires"]
    assert entry.lines.set_index("label").loc["Ventes Accessoires TVA 20 %", "mapped"] == False  # noqa: E712
    assert entry.warnings == ["categories not mapped, booked by VAT rate: 'Accessoires'"]
    outcome = check_accounts_mapped(t, entry)
    assert outcome.description == "categories not mapped (booked by VAT rate): 'Accessoires'"
    assert outcome.failure_cases[["order_id", "line_id", "field", "value"]].values.tolist() == [
        ["C3", "2", "category", "Accessoires"],
    ]


def test_category_mode_discount_nets_into_sales_when_not_separate():
    t = tenant("maison-lumiere", "Maison Lumière", accounting={
        "sales_by": "category", "sales_accounts_by_category": {"Bougies": "707100"},
    })
    lines = sales_frame([
        sale("C1", "1", 2000, "20", 400, category="Bougies"),
        sale("C1", "2", -200, "20", -40, kind="discount", category="Bougies"),
        sale("C1", "3", 500, "20", 100, kind="shipping"),
    ])
    payments = payments_frame([pay("C1", "C1-1", "Carte bancaire", 2760)])
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)
    assert ledger(entry) == [
        ("5115", "Encaissements Carte bancaire", 2760, 0),
        ("707100", "Ventes Bougies TVA 20 %", 0, 1800),
        ("707", "Frais de port TVA 20 %", 0, 500),  # no shipping account: the rate's sales account
        ("44571", "TVA collectée 20 %", 0, 460),
    ]


def oss_tenant():
    return tenant("thes-du-monde", "Thés du Monde", frequency="monthly", accounting={
        "sales_by": "category",
        "oss": {"registered": True, "accounts": {
            "DE": {"sales_account": "7071", "vat_account": "445711", "by_rate": {"7": {"sales_account": "70711"}}},
            "IT": {"sales_account": "7072", "vat_account": "445712"},
        }},
        "sales_accounts_by_category": {"Thés": "707"},
    })


def test_oss_month_to_germany_and_italy():
    lines = sales_frame([
        sale("D1", "1", 1000, "5.5", 55, category="Thés"),
        sale("D2", "1", 2000, "7", 140, country="DE", category="Thés"),
        sale("D2", "2", 3000, "19", 570, country="DE", category="Théières"),
        sale("D2", "3", 500, "19", 95, country="DE", kind="shipping"),
        sale("D3", "1", 1000, "10", 100, country="IT", category="Thés"),
        sale("D3", "2", 2000, "22", 440, country="IT", category="Théières"),
        sale("D4", "1", 1000, "20", 200, country="BE", category="Thés"),  # no OSS for BE: French VAT
    ])
    payments = payments_frame([
        pay("D1", "D1-1", "CB", 1055), pay("D2", "D2-1", "Stripe", 6305),
        pay("D3", "D3-1", "Virement", 3540), pay("D4", "D4-1", "CB", 1200),
    ])
    entry = map_period(oss_tenant(), date(2026, 10, 1), date(2026, 11, 1), lines, payments)
    assert entry.entry_label == "Ventes 2026-10 — Thés du Monde"
    assert entry.entry_key == "thes-du-monde-2026-10"
    assert ledger(entry) == [
        ("5115", "Encaissements CB", 2255, 0),
        ("5115", "Encaissements Stripe", 6305, 0),
        ("512", "Encaissements Virement", 3540, 0),
        ("7071", "Ventes DE TVA 19 %", 0, 3000),
        ("70711", "Ventes DE TVA 7 %", 0, 2000),
        ("707", "Ventes Thés TVA 5,5 %", 0, 1000),
        ("707", "Ventes Thés TVA 20 %", 0, 1000),
        ("7072", "Ventes IT TVA 10 %", 0, 1000),
        ("7072", "Ventes IT TVA 22 %", 0, 2000),
        ("7071", "Frais de port DE TVA 19 %", 0, 500),
        ("445711", "TVA collectée DE 7 %", 0, 140),
        ("445711", "TVA collectée DE 19 %", 0, 665),
        ("44571", "TVA collectée 5,5 %", 0, 55),
        ("44571", "TVA collectée 20 %", 0, 200),
        ("445712", "TVA collectée IT 10 %", 0, 100),
        ("445712", "TVA collectée IT 22 %", 0, 440),
    ]
    assert entry.totals_by_rate["DE 19"] == {"net_cents": 3500, "vat_cents": 665, "gross_cents": 4165}
    assert entry.totals_by_rate["20"] == {"net_cents": 1000, "vat_cents": 200, "gross_cents": 1200}
    de_vat = entry.lines[(entry.lines["country"] == "DE") & (entry.lines["kind"] == "vat")]
    assert list(de_vat["vat_rate"]) == ["7", "19"]


def test_per_location_one_balanced_entry_each_with_its_own_rounding():
    t = tenant("duo", "Duo", accounting={"per_location": True})
    lines = sales_frame([
        sale("E1", "1", 1000, "10", 100, location="Paris 11"),
        sale("E2", "1", 500, "20", 100, location="Lyon"),
    ])
    payments = payments_frame([
        pay("E1", "E1-1", "CB", 1101, location="Paris 11"),
        pay("E2", "E2-1", "Espèces", 599, location="Lyon"),
    ])
    entry = map_period(t, DAY, NEXT_DAY, lines, payments)
    assert [(e.entry_key, e.label, e.location, e.rounding_cents) for e in entry.entries] == [
        ("duo-2026-11-21-lyon", "Ventes 2026-11-21 — Duo — Lyon", "Lyon", -1),
        ("duo-2026-11-21-paris-11", "Ventes 2026-11-21 — Duo — Paris 11", "Paris 11", 1),
    ]
    assert ledger(entry.entry_lines("duo-2026-11-21-lyon")) == [
        ("530", "Encaissements Espèces", 599, 0),
        ("707", "Ventes TVA 20 %", 0, 500),
        ("44571", "TVA collectée 20 %", 0, 100),
        ("658", "Écart d'arrondi", 1, 0),
    ]
    assert ledger(entry.entry_lines("duo-2026-11-21-paris-11")) == [
        ("5115", "Encaissements CB", 1101, 0),
        ("707", "Ventes TVA 10 %", 0, 1000),
        ("44571", "TVA collectée 10 %", 0, 100),
        ("758", "Écart d'arrondi", 0, 1),
    ]
    assert list(entry.lines["line_no"]) == [1, 2, 3, 4, 1, 2, 3, 4]
    assert entry.rounding_cents == 0
    assert check_balanced(entry.lines).passed


def test_empty_day_maps_to_no_lines():
    entry = map_period(tenant(), DAY, NEXT_DAY, sales_frame([]), payments_frame([]))
    assert entry.is_empty
    assert list(entry.lines.columns) == [
        "entry_key", "line_no", "account", "label", "debit_cents", "credit_cents", "kind",
        "source_key", "vat_rate", "country", "mapped",
    ]
    assert check_balanced(entry.lines).passed


def test_same_day_end_means_that_one_day_and_metadata_is_plain_json():
    lines, payments = shop_day()
    entry = map_period(tenant("boutique", "La Boutique"), DAY, DAY, lines, payments)
    assert entry.period_key == "2026-11-21"
    meta = entry.metadata()
    assert meta["total_debit_cents"] == 7800
    assert meta["totals_by_method"] == {"CB": 4800, "Espèces": 3000}
    assert meta["totals_by_rate"] == {"20": {"net_cents": 6500, "vat_cents": 1300, "gross_cents": 7800}}
