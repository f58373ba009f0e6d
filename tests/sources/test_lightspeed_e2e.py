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

from datetime import date

from emulators.lightspeed import LightspeedState, create_app
from emulators.server import serve
from resources.http import RetryPolicy
from resources.sources.lightspeed.source import LightspeedSource
from tests.harness import load_sibling, run_source_day, tenant_config

cases = load_sibling(__file__, "test_lightspeed_parser.py", "lightspeed_e2e_cases")
LOCATION = "45454565682155"


def test_lightspeed_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    ls = LightspeedState(token="lsk-e2e", retry_after="0")
    ls.put_day(LOCATION, date(2025, 3, 14), cases.hand_day_sales())
    ls.throttle_next(1)
    monkeypatch.setenv("LSK_E2E_TOKEN", "lsk-e2e")
    monkeypatch.setenv("PENNYLANE_TOKEN_LS", "tok-bistrot")
    pennylane_harness.company("tok-bistrot", "Bistrot")
    with serve(create_app(ls)) as ls_srv:
        tenant = tenant_config(
            "bistrot-ls", name="Bistrot LS", start_date="2025-01-01",
            source={"type": "lightspeed", "base_url": ls_srv.url,
                    "credentials": {"access_token": "LSK_E2E_TOKEN"},
                    "settings": {"business_location_ids": [LOCATION]}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_LS",
            payment_methods={"Carte bancaire": "5115", "Espèces": "530"},
        )
        source = LightspeedSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))
        day = run_source_day(tenant, "2025-03-14", source, pennylane_harness, tmp_path,
                             token="tok-bistrot")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2025-03-14", "Ventes 2025-03-14 — Bistrot LS")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("5115", "41.80", "0.00", "Encaissements Carte bancaire"),
        ("530", "0.00", "5.70", "Encaissements Espèces"),  # 2.20 taken − 7.90 paid back
        ("707", "0.00", "21.18", "Ventes TVA 10 %"),
        ("707", "0.00", "9.00", "Ventes TVA 20 %"),
        ("44571", "0.00", "2.12", "TVA collectée 10 %"),
        ("44571", "0.00", "1.80", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
