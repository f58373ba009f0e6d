"""Zettle end to end: the Zettle emulator (OAuth + Purchase API) over a socket → ``run_period`` →
the Pennylane emulator.

The day is the hand-computed Tuesday 10 March 2026 of ``test_zettle_client.py`` (Paris shop):

- S1 (cash 10.00): 2 cafés 4.00 at 10 % (VAT 0.36), a sandwich 6.50 − 0.50 = 6.00 at 10 % (VAT 0.55)
- RF1: Monday's 15.00 mug (20 %) refunded on the card: −12.50 net, −2.50 VAT
- S2 (card 24.50 incl. a 2.00 gratuity): wine 7.00 and board 18.00 with 10 % off the purchase,
  spread 0.70 / 1.80 → wine 6.30 at 20 % (VAT 1.05), board 16.20 at 10 % (VAT 1.47)

Ledger, by hand: sales 10 % = 3.64 + 5.45 + 14.73 = 23.82 credit; sales 20 % = 5.25 − 12.50 = −7.25
(a debit); VAT 10 % = 0.36 + 0.55 + 1.47 = 2.38 credit; VAT 20 % = 1.05 − 2.50 = −1.45 (a debit);
cash 10.00 debit; card 24.50 − 15.00 = 9.50 debit; tips 2.00 credit.
Debits 10.00 + 9.50 + 7.25 + 1.45 = 28.20 = credits 23.82 + 2.38 + 2.00.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pipelines.sales.core import run_period
from resources.emulators.pennylane import create_app as pennylane_app
from resources.emulators.server import serve
from resources.emulators.zettle import create_app
from resources.http import RetryPolicy
from resources.pennylane import PennylaneClient
from resources.sources.zettle import ZettleSource
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

_spec = importlib.util.spec_from_file_location("zettle_client_e2e", Path(__file__).with_name("test_zettle_client.py"))
day_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(day_mod)


def test_zettle_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_spec, monkeypatch):
    z_state = day_mod.hand_computed_state()
    z_state.fail_next = 2
    monkeypatch.setenv("ZETTLE_TEST_CLIENT_ID", z_state.client_id)
    monkeypatch.setenv("ZETTLE_TEST_API_KEY", z_state.api_key)
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-boutique")
    pl = pennylane_app(tmp_path / "pennylane.db", validate_spec=pennylane_spec, rate_limit_window=0.25)
    with serve(create_app(z_state)) as zt, serve(pl) as pl_srv:
        httpx.post(pl_srv.url + "/_emulator/companies", json={"token": "tok-boutique", "name": "Boutique"}
                   ).raise_for_status()
        base = pl_srv.url + "/api/external/v2"
        tenant = TenantConfig.model_validate({
            "slug": "boutique-zettle", "name": "Boutique Zettle", "siret": "55208131766522",
            "start_date": "2026-01-01",
            "source": {"type": "zettle", "base_url": zt.url,
                       "credentials": {"client_id": "ZETTLE_TEST_CLIENT_ID", "api_key": "ZETTLE_TEST_API_KEY"},
                       "settings": {"oauth_base_url": zt.url, "page_limit": 2}},
            "pennylane": {"token_env": "PENNYLANE_TOKEN_TEST", "base_url": base},
            "accounting": {"payment_methods": {"IZETTLE_CARD": "5115", "IZETTLE_CASH": "530"}},
        })
        warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
        warehouse.create_all()
        source = ZettleSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                              clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        client = PennylaneClient("tok-boutique", base, tenant="boutique-zettle")
        result = run_period(tenant, "2026-03-10", warehouse=warehouse, pennylane_client=client, source=source)
        source.close()
        assert (result.status, result.message) == ("posted", "")
        entries = list(client.list_ledger_entries())
        assert [(e["date"], e["label"]) for e in entries] == [("2026-03-10", "Ventes 2026-03-10 — Boutique Zettle")]
        lines = sorted(
            (ln["ledger_account"]["number"] if isinstance(ln["ledger_account"], dict) else ln["ledger_account"],
             ln["debit"], ln["credit"], ln["label"])
            for ln in client.list_ledger_entry_lines(entries[0]["id"])
        )
    if pl.spec_violations:
        pytest.fail("Pennylane spec violations: " + "; ".join(map(str, pl.spec_violations)))
    assert lines == sorted([
        ("530", "10.00", "0.00", "Encaissements IZETTLE_CASH"),
        ("5115", "9.50", "0.00", "Encaissements IZETTLE_CARD"),  # 24.50 taken − 15.00 refunded
        ("707", "0.00", "23.82", "Ventes TVA 10 %"),
        ("707", "7.25", "0.00", "Ventes TVA 20 %"),
        ("44571", "0.00", "2.38", "TVA collectée 10 %"),
        ("44571", "1.45", "0.00", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
