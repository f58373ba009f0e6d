"""Lightspeed K-Series end to end: emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is the hand-computed business day 14 March 2025 of ``test_lightspeed_parser.py``:

- A100.1 (card 41.80 incl. a 2.00 tip): 2 plats 29.00 at 10 % (VAT 2.64), 2 glasses of wine
  12.00 − 10 % = 10.80 at 20 % (VAT 1.80)
- A100.2 (cash 2.20, closed at 00:30 on the 15th, same business day): a café at 10 % (VAT 0.20)
- A100.3: a tarte of the 13th refunded in cash: −7.90 at 10 % (VAT −0.72)
- A100.4: a table transfer (no money), skipped

Ledger, by hand: card 41.80 debit; cash 2.20 − 7.90 = −5.70 (a credit); sales 10 % = 26.36 + 2.00
− 7.18 = 21.18 credit; sales 20 % = 9.00 credit; VAT 10 % = 2.64 + 0.20 − 0.72 = 2.12 credit;
VAT 20 % = 1.80 credit; tips 2.00 credit. Debits 41.80 = credits 5.70 + 21.18 + 9.00 + 2.12 + 1.80 + 2.00.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import httpx
import pytest

from pipelines.sales.core import run_period
from resources.emulators.lightspeed import LightspeedState, create_app
from resources.emulators.pennylane import create_app as pennylane_app
from resources.emulators.server import serve
from resources.http import RetryPolicy
from resources.pennylane import PennylaneClient
from resources.sources.lightspeed import LightspeedSource
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location("lightspeed_e2e_cases",
                                               Path(__file__).with_name("test_lightspeed_parser.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)
LOCATION = "45454565682155"


def test_lightspeed_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_spec, monkeypatch):
    ls = LightspeedState(token="lsk-e2e", retry_after="0")
    ls.put_day(LOCATION, date(2025, 3, 14), cases.hand_day_sales())
    ls.throttle_next(1)
    monkeypatch.setenv("LSK_E2E_TOKEN", "lsk-e2e")
    monkeypatch.setenv("PENNYLANE_TOKEN_LS", "tok-bistrot")
    pl = pennylane_app(tmp_path / "pennylane.db", validate_spec=pennylane_spec, rate_limit_window=0.25)
    with serve(create_app(ls)) as ls_srv, serve(pl) as pl_srv:
        httpx.post(pl_srv.url + "/_emulator/companies", json={"token": "tok-bistrot", "name": "Bistrot"}
                   ).raise_for_status()
        base = pl_srv.url + "/api/external/v2"
        tenant = TenantConfig.model_validate({
            "slug": "bistrot-ls", "name": "Bistrot LS", "siret": "73282932000074", "start_date": "2025-01-01",
            "source": {"type": "lightspeed", "base_url": ls_srv.url,
                       "credentials": {"access_token": "LSK_E2E_TOKEN"},
                       "settings": {"business_location_ids": [LOCATION]}},
            "pennylane": {"token_env": "PENNYLANE_TOKEN_LS", "base_url": base},
            "accounting": {"payment_methods": {"Carte bancaire": "5115", "Espèces": "530"}},
        })
        warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
        warehouse.create_all()
        source = LightspeedSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))
        client = PennylaneClient("tok-bistrot", base, tenant="bistrot-ls")
        result = run_period(tenant, "2025-03-14", warehouse=warehouse, pennylane_client=client, source=source)
        source.close()
        assert (result.status, result.message) == ("posted", "")
        entries = list(client.list_ledger_entries())
        assert [(e["date"], e["label"]) for e in entries] == [("2025-03-14", "Ventes 2025-03-14 — Bistrot LS")]
        lines = sorted(
            (ln["ledger_account"]["number"] if isinstance(ln["ledger_account"], dict) else ln["ledger_account"],
             ln["debit"], ln["credit"], ln["label"])
            for ln in client.list_ledger_entry_lines(entries[0]["id"])
        )
    if pl.spec_violations:
        pytest.fail("Pennylane spec violations: " + "; ".join(map(str, pl.spec_violations)))
    assert lines == sorted([
        ("5115", "41.80", "0.00", "Encaissements Carte bancaire"),
        ("530", "0.00", "5.70", "Encaissements Espèces"),  # 2.20 taken − 7.90 paid back
        ("707", "0.00", "21.18", "Ventes TVA 10 %"),
        ("707", "0.00", "9.00", "Ventes TVA 20 %"),
        ("44571", "0.00", "2.12", "TVA collectée 10 %"),
        ("44571", "0.00", "1.80", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
