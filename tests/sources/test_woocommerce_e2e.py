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
import importlib.util
from pathlib import Path

import httpx
import pytest

from pipelines.sales.core import run_period
from resources.emulators.pennylane import create_app as pennylane_app
from resources.emulators.server import serve
from resources.emulators.woocommerce import WooState, create_app
from resources.pennylane import PennylaneClient
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location("woo_day_e2e", Path(__file__).with_name("test_woocommerce_day.py"))
day_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(day_mod)


def test_woocommerce_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_spec, monkeypatch):
    monkeypatch.setenv("WC_KEY_TEST", "ck_live")
    monkeypatch.setenv("WC_SECRET_TEST", "cs_live")
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-epicerie")
    orders, refunds, rates, products = day_mod.store_payloads()
    store = WooState(orders=copy.deepcopy(orders), refunds=refunds, taxes=rates, products=products,
                     consumer_key="ck_live", consumer_secret="cs_live", retry_after="0.05", force_429={3})
    pl = pennylane_app(tmp_path / "pennylane.db", validate_spec=pennylane_spec, rate_limit_window=0.25)
    with serve(create_app(store)) as shop, serve(pl) as pl_srv:
        httpx.post(pl_srv.url + "/_emulator/companies", json={"token": "tok-epicerie", "name": "Épicerie fine"}
                   ).raise_for_status()
        base = pl_srv.url + "/api/external/v2"
        tenant = TenantConfig.model_validate({
            "slug": "epicerie", "name": "Épicerie fine", "siret": "73282932000074", "start_date": "2025-01-01",
            "source": {"type": "woocommerce", "base_url": shop.url, "settings": {"per_page": 1},
                       "credentials": {"consumer_key": "WC_KEY_TEST", "consumer_secret": "WC_SECRET_TEST"}},
            "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST", "base_url": base},
            "accounting": {"sales_by": "category",
                           "sales_accounts_by_category": {"Livres": "7071", "Épicerie": "7072", "Vaisselle": "7074"},
                           "payment_methods": {"stripe": "5115"}},
        })
        warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
        warehouse.create_all()
        client = PennylaneClient("tok-epicerie", base, tenant="epicerie")
        result = run_period(tenant, "2025-06-14", warehouse=warehouse, pennylane_client=client)
        assert (result.status, result.message) == ("posted", "")
        entries = list(client.list_ledger_entries())
        assert [(e["date"], e["label"]) for e in entries] == [("2025-06-14", "Ventes 2025-06-14 — Épicerie fine")]
        lines = sorted(
            (ln["ledger_account"]["number"] if isinstance(ln["ledger_account"], dict) else ln["ledger_account"],
             ln["debit"], ln["credit"], ln["label"])
            for ln in client.list_ledger_entry_lines(entries[0]["id"])
        )
    if pl.spec_violations:
        pytest.fail("Pennylane spec violations: " + "; ".join(map(str, pl.spec_violations)))
    assert any(p.endswith("/orders") and q.get("page") == "2" for p, q in store.requests)  # paged
    assert lines == sorted([
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
