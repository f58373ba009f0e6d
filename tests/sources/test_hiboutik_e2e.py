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

from datetime import datetime
from zoneinfo import ZoneInfo

from emulators.hiboutik import HiboutikState, create_app
from emulators.server import serve
from resources.http import RetryPolicy
from resources.sources.hiboutik.source import HiboutikSource
from tests.harness import load_sibling, run_source_day, tenant_config

cases = load_sibling(__file__, "test_hiboutik_parser.py", "hiboutik_e2e_cases")


def test_hiboutik_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    hb_state = HiboutikState(user="api@comptoir.fr", api_key="HB-E2E", retry_after="0", page_size=2)
    for sale in cases.hand_day_sales():
        hb_state.add_sale(sale)
    hb_state.categories.update({3: "Épicerie", 4: "Art de la table", 9: "Pourboires"})
    hb_state.throttle_next(1)
    monkeypatch.setenv("HB_E2E_USER", "api@comptoir.fr")
    monkeypatch.setenv("HB_E2E_KEY", "HB-E2E")
    monkeypatch.setenv("PENNYLANE_TOKEN_HB", "tok-comptoir")
    pennylane_harness.company("tok-comptoir", "Comptoir")
    with serve(create_app(hb_state)) as hb_srv:
        tenant = tenant_config(
            "comptoir-hb", name="Comptoir HB", siret="55208131766522", start_date="2025-01-01",
            source={"type": "hiboutik", "base_url": hb_srv.url + "/api",
                    "credentials": {"user": "HB_E2E_USER", "api_key": "HB_E2E_KEY"},
                    "settings": {"store_id": 1, "tip_skus": ["POURBOIRE"]}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_HB",
            payment_methods={"CB": "5115", "ESP": "530"},
        )
        source = HiboutikSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                                clock=lambda: datetime(2025, 3, 15, 6, 0, tzinfo=ZoneInfo("Europe/Paris")))
        day = run_source_day(tenant, "2025-03-14", source, pennylane_harness, tmp_path,
                             token="tok-comptoir")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2025-03-14", "Ventes 2025-03-14 — Comptoir HB")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("5115", "34.95", "0.00", "Encaissements CB"),
        ("530", "5.21", "0.00", "Encaissements ESP"),  # 12.11 taken − 6.90 paid back
        ("707", "0.00", "22.60", "Ventes TVA 5,5 %"),
        ("707", "0.00", "11.92", "Ventes TVA 20 %"),
        ("44571", "0.00", "1.25", "TVA collectée 5,5 %"),
        ("44571", "0.00", "2.39", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
