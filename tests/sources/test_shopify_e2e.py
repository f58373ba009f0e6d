"""Shopify end to end: the emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is the hand-computed DST day of ``test_shopify_day.py`` (a refund of the previous day's
order, a tip, a discount, a gift card sold and one redeemed, VAT at 20 % and 5.5 %), posted with
sales accounts by product category. Expected ledger lines, by hand:

- 5115 card takings 49.00 + 50.00 − 12.00 (refund) = 87.00 debit; 4191 gift card redeemed 8.00 debit
- 7074 Vaisselle: the refunded mug, 10.00 net, debit
- 7071 Livres 28.44; 7072 Épicerie 10.00 − 1.67 discount = 8.33; 7073 Papeterie 6.67; 707 shipping 5.00
- VAT 20 %: 2.00 (tea) − 0.33 (discount) + 1.00 (shipping) + 1.33 (notebook) − 2.00 (refund) = 2.00
- VAT 5.5 %: 1.56; gift card sold 50.00 to 4191 (a liability); tip 3.00 to 4286
"""

from __future__ import annotations

import copy

from emulators.server import serve
from emulators.shopify import ShopifyState, create_app
from tests.harness import load_sibling, run_source_day, tenant_config

day_mod = load_sibling(__file__, "test_shopify_day.py", "shopify_day_e2e")


def test_shopify_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-boutique")
    orders, tenders, products = day_mod.shop_payloads()
    shop_state = ShopifyState(orders=copy.deepcopy(orders), tender_transactions=tenders, products=products,
                              token="shpat_secret", retry_after="0.05", force_429={2})
    pennylane_harness.company("tok-boutique", "Boutique")
    with serve(create_app(shop_state)) as shop:
        tenant = tenant_config(
            "boutique", name="Boutique", start_date="2025-01-01",
            source={"type": "shopify", "base_url": shop.url,
                    "credentials": {"access_token": "SHOPIFY_TOKEN_TEST"}, "settings": {"page_limit": 2}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_TEST",
            sales_by="category",
            sales_accounts_by_category={"Livres": "7071", "Épicerie": "7072", "Papeterie": "7073",
                                        "Vaisselle": "7074"},
            payment_methods={"credit_card": "5115", "gift_card": "4191"},
        )
        day = run_source_day(tenant, "2025-03-30", None, pennylane_harness, tmp_path,
                             token="tok-boutique")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2025-03-30", "Ventes 2025-03-30 — Boutique")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("44571", "0.00", "2.00", "TVA collectée 20 %"),
        ("44571", "0.00", "1.56", "TVA collectée 5,5 %"),
        ("707", "0.00", "5.00", "Frais de port TVA 20 %"),
        ("7074", "10.00", "0.00", "Ventes Vaisselle TVA 20 %"),
        ("7073", "0.00", "6.67", "Ventes Papeterie TVA 20 %"),
        ("7072", "0.00", "8.33", "Ventes Épicerie TVA 20 %"),
        ("7071", "0.00", "28.44", "Ventes Livres TVA 5,5 %"),
        ("4191", "0.00", "50.00", "Cartes cadeaux vendues"),
        ("4286", "0.00", "3.00", "Pourboires"),
        ("5115", "87.00", "0.00", "Encaissements credit_card"),
        ("4191", "8.00", "0.00", "Encaissements gift_card"),
    ])
