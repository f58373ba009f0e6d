"""WooCommerce end to end: the emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is the hand-computed day of ``test_woocommerce_day.py`` (a refund of an order of the 10th,
a tip fee line, a coupon, VAT at 20 % and 5.5 %), with sales accounts by product category, read
with 1 order per page and a 429 on the way. Expected ledger lines, by hand:

- 5115 stripe: 51.40 − 24.00 (refund) = 27.40 debit
- 7074 Vaisselle: the refunded mug, 20.00 net, debit
- 7071 Livres 28.44; 7072 Épicerie 10.00 − 1.67 coupon = 8.33; 707 shipping 5.00; 707 gift-wrap fee 2.00
  (no category: the VAT-rate fallback account)
- VAT 20 %: 2.00 − 0.33 + 1.00 + 0.40 − 4.00 (refund) = −0.93, a debit; VAT 5.5 %: 1.56
- tip 3.00 to 4286
"""

from __future__ import annotations

import copy

from emulators.server import serve
from emulators.woocommerce import WooState, create_app
from tests.harness import load_sibling, run_source_day, tenant_config

day_mod = load_sibling(__file__, "test_woocommerce_day.py", "woo_day_e2e")


def test_woocommerce_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    monkeypatch.setenv("WC_KEY_TEST", "ck_live")
    monkeypatch.setenv("WC_SECRET_TEST", "cs_live")
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-epicerie")
    orders, refunds, rates, products = day_mod.store_payloads()
    store = WooState(orders=copy.deepcopy(orders), refunds=refunds, taxes=rates, products=products,
                     consumer_key="ck_live", consumer_secret="cs_live", retry_after="0.05", force_429={3})
    pennylane_harness.company("tok-epicerie", "Épicerie fine")
    with serve(create_app(store)) as shop:
        tenant = tenant_config(
            "epicerie", name="Épicerie fine", start_date="2025-01-01",
            source={"type": "woocommerce", "base_url": shop.url, "settings": {"per_page": 1},
                    "credentials": {"consumer_key": "WC_KEY_TEST", "consumer_secret": "WC_SECRET_TEST"}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_TEST",
            sales_by="category",
            sales_accounts_by_category={"Livres": "7071", "Épicerie": "7072", "Vaisselle": "7074"},
            payment_methods={"stripe": "5115"},
        )
        day = run_source_day(tenant, "2025-06-14", None, pennylane_harness, tmp_path,
                             token="tok-epicerie")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2025-06-14", "Ventes 2025-06-14 — Épicerie fine")]
    pennylane_harness.assert_no_spec_violations()
    assert any(p.endswith("/orders") and q.get("page") == "2" for p, q in store.requests)  # paged
    assert day.entries[0]["lines"] == sorted([
        ("44571", "0.93", "0.00", "TVA collectée 20 %"),
        ("44571", "0.00", "1.56", "TVA collectée 5,5 %"),
        ("707", "0.00", "5.00", "Frais de port TVA 20 %"),
        ("7074", "20.00", "0.00", "Ventes Vaisselle TVA 20 %"),
        ("7072", "0.00", "8.33", "Ventes Épicerie TVA 20 %"),
        ("7071", "0.00", "28.44", "Ventes Livres TVA 5,5 %"),
        ("707", "0.00", "2.00", "Ventes TVA 20 %"),
        ("4286", "0.00", "3.00", "Pourboires"),
        ("5115", "27.40", "0.00", "Encaissements stripe"),
    ])
