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

from datetime import UTC, datetime

from emulators.server import serve
from emulators.zettle import create_app
from resources.http import RetryPolicy
from resources.sources.zettle.source import ZettleSource
from tests.harness import load_sibling, run_source_day, tenant_config

day_mod = load_sibling(__file__, "test_zettle_client.py", "zettle_client_e2e")


def test_zettle_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    z_state = day_mod.hand_computed_state()
    z_state.fail_next = 2
    monkeypatch.setenv("ZETTLE_TEST_CLIENT_ID", z_state.client_id)
    monkeypatch.setenv("ZETTLE_TEST_API_KEY", z_state.api_key)
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-boutique")
    pennylane_harness.company("tok-boutique", "Boutique")
    with serve(create_app(z_state)) as zt:
        tenant = tenant_config(
            "boutique-zettle", name="Boutique Zettle", siret="55208131766522", start_date="2026-01-01",
            source={"type": "zettle", "base_url": zt.url,
                    "credentials": {"client_id": "ZETTLE_TEST_CLIENT_ID", "api_key": "ZETTLE_TEST_API_KEY"},
                    "settings": {"oauth_base_url": zt.url, "page_limit": 2}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_TEST",
            payment_methods={"IZETTLE_CARD": "5115", "IZETTLE_CASH": "530"},
        )
        source = ZettleSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                              clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        day = run_source_day(tenant, "2026-03-10", source, pennylane_harness, tmp_path,
                             token="tok-boutique")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2026-03-10", "Ventes 2026-03-10 — Boutique Zettle")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("530", "10.00", "0.00", "Encaissements IZETTLE_CASH"),
        ("5115", "9.50", "0.00", "Encaissements IZETTLE_CARD"),  # 24.50 taken − 15.00 refunded
        ("707", "0.00", "23.82", "Ventes TVA 10 %"),
        ("707", "7.25", "0.00", "Ventes TVA 20 %"),
        ("44571", "0.00", "2.38", "TVA collectée 10 %"),
        ("44571", "1.45", "0.00", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
