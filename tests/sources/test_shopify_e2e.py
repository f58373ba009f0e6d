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
import importlib.util
from pathlib import Path

import httpx
import pytest

from pipelines.sales.core import run_period
from resources.emulators.pennylane import create_app as pennylane_app
from resources.emulators.server import serve
from resources.emulators.shopify import ShopifyState, create_app
from resources.pennylane import PennylaneClient
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location("shopify_day_e2e", Path(__file__).with_name("test_shopify_day.py"))
day_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(day_mod)


def test_shopify_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_spec, monkeypatch):
    monkeypatch.setenv("SHOPIFY_TOKEN_TEST", "shpat_secret")
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-boutique")
    orders, tenders, products = day_mod.shop_payloads()
    shop_state = ShopifyState(orders=copy.deepcopy(orders), tender_transactions=tenders, products=products,
                              token="shpat_secret", retry_after="0.05", force_429={2})
    pl = pennylane_app(tmp_path / "pennylane.db", validate_spec=pennylane_spec, rate_limit_window=0.25)
    with serve(create_app(shop_state)) as shop, serve(pl) as pl_srv:
        httpx.post(pl_srv.url + "/_emulator/companies", json={"token": "tok-boutique", "name": "Boutique"}
                   ).raise_for_status()
        base = pl_srv.url + "/api/external/v2"
        tenant = TenantConfig.model_validate({
            "slug": "boutique", "name": "Boutique", "siret": "73282932000074", "start_date": "2025-01-01",
            "source": {"type": "shopify", "base_url": shop.url,
                       "credentials": {"access_token": "SHOPIFY_TOKEN_TEST"}, "settings": {"page_limit": 2}},
            "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST", "base_url": base},
            "accounting": {"sales_by": "category",
                           "sales_accounts_by_category": {"Livres": "7071", "Épicerie": "7072",
                                                          "Papeterie": "7073", "Vaisselle": "7074"},
                           "payment_methods": {"credit_card": "5115", "gift_card": "4191"}},
        })
        warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
        warehouse.create_all()
        client = PennylaneClient("tok-boutique", base, tenant="boutique")
        result = run_period(tenant, "2025-03-30", warehouse=warehouse, pennylane_client=client)
        assert (result.status, result.message) == ("posted", "")
        entries = list(client.list_ledger_entries())
        assert [(e["date"], e["label"]) for e in entries] == [("2025-03-30", "Ventes 2025-03-30 — Boutique")]
        lines = sorted(
            (ln["ledger_account"]["number"] if isinstance(ln["ledger_account"], dict) else ln["ledger_account"],
             ln["debit"], ln["credit"], ln["label"])
            for ln in client.list_ledger_entry_lines(entries[0]["id"])
        )
    if pl.spec_violations:
        pytest.fail("Pennylane spec violations: " + "; ".join(map(str, pl.spec_violations)))
    assert lines == sorted([
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
