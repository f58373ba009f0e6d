"""Hiboutik end to end: the emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is the hand-computed 14 March 2025 of ``test_hiboutik_parser.py`` (store 1):

- 2001 split "DIV" payment CB 30.00 + ESP 12.11: green tea 2 × 12.90 = 25.80 at 5.5 % (VAT 1.35),
  a mug 15.90 − 10 % = 14.31 at 20 % (VAT 2.39) and a 2.00 "POURBOIRE" line (a tip, 0 %)
- 2002: a jam of the 12th returned, −6.90 at 5.5 % (VAT −0.36), cash paid back
- 2003: chocolate 4.95 at 5.5 % (VAT 0.26) by card

Ledger, by hand: CB 30.00 + 4.95 = 34.95 debit; ESP 12.11 − 6.90 = 5.21 debit; sales 5.5 % = 24.45
− 6.54 + 4.69 = 22.60 credit; sales 20 % = 11.92 credit; VAT 5.5 % = 1.35 − 0.36 + 0.26 = 1.25
credit; VAT 20 % = 2.39 credit; tips 2.00 credit. Debits 40.16 = credits 22.60 + 11.92 + 1.25 + 2.39 + 2.00.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from pipelines.sales.core import run_period
from resources.emulators.hiboutik import HiboutikState, create_app
from resources.emulators.pennylane import create_app as pennylane_app
from resources.emulators.server import serve
from resources.http import RetryPolicy
from resources.pennylane import PennylaneClient
from resources.sources.hiboutik import HiboutikSource
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location("hiboutik_e2e_cases",
                                               Path(__file__).with_name("test_hiboutik_parser.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def test_hiboutik_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_spec, monkeypatch):
    hb_state = HiboutikState(user="api@comptoir.fr", api_key="HB-E2E", retry_after="0", page_size=2)
    for sale in cases.hand_day_sales():
        hb_state.add_sale(sale)
    hb_state.categories.update({3: "Épicerie", 4: "Art de la table", 9: "Pourboires"})
    hb_state.throttle_next(1)
    monkeypatch.setenv("HB_E2E_USER", "api@comptoir.fr")
    monkeypatch.setenv("HB_E2E_KEY", "HB-E2E")
    monkeypatch.setenv("PENNYLANE_TOKEN_HB", "tok-comptoir")
    pl = pennylane_app(tmp_path / "pennylane.db", validate_spec=pennylane_spec, rate_limit_window=0.25)
    with serve(create_app(hb_state)) as hb_srv, serve(pl) as pl_srv:
        httpx.post(pl_srv.url + "/_emulator/companies", json={"token": "tok-comptoir", "name": "Comptoir"}
                   ).raise_for_status()
        base = pl_srv.url + "/api/external/v2"
        tenant = TenantConfig.model_validate({
            "slug": "comptoir-hb", "name": "Comptoir HB", "siret": "55208131766522", "start_date": "2025-01-01",
            "source": {"type": "hiboutik", "base_url": hb_srv.url + "/api",
                       "credentials": {"user": "HB_E2E_USER", "api_key": "HB_E2E_KEY"},
                       "settings": {"store_id": 1, "tip_skus": ["POURBOIRE"]}},
            "pennylane": {"token_env": "PENNYLANE_TOKEN_HB", "base_url": base},
            "accounting": {"payment_methods": {"CB": "5115", "ESP": "530"}},
        })
        warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
        warehouse.create_all()
        source = HiboutikSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                                clock=lambda: datetime(2025, 3, 15, 6, 0, tzinfo=ZoneInfo("Europe/Paris")))
        client = PennylaneClient("tok-comptoir", base, tenant="comptoir-hb")
        result = run_period(tenant, "2025-03-14", warehouse=warehouse, pennylane_client=client, source=source)
        source.close()
        assert (result.status, result.message) == ("posted", "")
        entries = list(client.list_ledger_entries())
        assert [(e["date"], e["label"]) for e in entries] == [("2025-03-14", "Ventes 2025-03-14 — Comptoir HB")]
        lines = sorted(
            (ln["ledger_account"]["number"] if isinstance(ln["ledger_account"], dict) else ln["ledger_account"],
             ln["debit"], ln["credit"], ln["label"])
            for ln in client.list_ledger_entry_lines(entries[0]["id"])
        )
    if pl.spec_violations:
        pytest.fail("Pennylane spec violations: " + "; ".join(map(str, pl.spec_violations)))
    assert lines == sorted([
        ("5115", "34.95", "0.00", "Encaissements CB"),
        ("530", "5.21", "0.00", "Encaissements ESP"),  # 12.11 taken − 6.90 paid back
        ("707", "0.00", "22.60", "Ventes TVA 5,5 %"),
        ("707", "0.00", "11.92", "Ventes TVA 20 %"),
        ("44571", "0.00", "1.25", "TVA collectée 5,5 %"),
        ("44571", "0.00", "2.39", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
