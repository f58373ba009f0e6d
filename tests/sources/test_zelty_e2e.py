"""Zelty end to end: the emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is closure 109 (restaurant 5146, 14 March 2025) of ``test_zelty_parser.py``:

- 204276623: 2 plats 14.50 at 10 % (VAT 1.32 each), wine 6.00 − 10 % = 5.40 at 20 % (VAT 0.90);
  the card took 36.40 for 34.40: a 2.00 tip (overflow)
- 204276624 (00:30 on the 15th, same till session): café 2.20 + tarte 7.90 at 10 %, 10 % off the
  order: 9.09 (VAT 0.83) in cash; the −1.01 order discount carries −0.09 VAT
- 204276625: a tarte of the 12th refunded in cash: −7.90 at 10 % (VAT −0.72)

Ledger, by hand: card 36.40 debit; cash 9.09 − 7.90 = 1.19 debit; sales 10 % = 13.18 + 13.18 + 2.00
+ 7.18 − 0.92 − 7.18 = 27.44 credit; sales 20 % = 4.50 credit; VAT 10 % = 1.32 + 1.32 + 0.20 + 0.72
− 0.09 − 0.72 = 2.75 credit; VAT 20 % = 0.90 credit; tips 2.00 credit.
Debits 37.59 = credits 27.44 + 4.50 + 2.75 + 0.90 + 2.00.
"""

from __future__ import annotations

from emulators.server import serve
from emulators.zelty import ZeltyState, create_app
from resources.http import RetryPolicy
from resources.sources.zelty.source import ZeltySource
from tests.harness import load_sibling, run_source_day, tenant_config

cases = load_sibling(__file__, "test_zelty_parser.py", "zelty_e2e_cases")


def test_zelty_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    zt_state = ZeltyState(api_key="zelty-e2e", retry_after="0")
    zt_state.closures.append(cases.hand_closure())
    zt_state.orders.extend({**o, "till_id": 109} for o in cases.hand_orders())
    zt_state.throttle_next(1)
    monkeypatch.setenv("ZELTY_E2E_KEY", "zelty-e2e")
    monkeypatch.setenv("PENNYLANE_TOKEN_ZT", "tok-brasserie")
    pennylane_harness.company("tok-brasserie", "Brasserie")
    with serve(create_app(zt_state)) as zt_srv:
        tenant = tenant_config(
            "brasserie-zt", name="Brasserie ZT", siret="44306184100047", start_date="2025-01-01",
            source={"type": "zelty", "base_url": zt_srv.url + "/2.10",
                    "credentials": {"api_key": "ZELTY_E2E_KEY"}, "settings": {"restaurant_ids": [5146]}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_ZT",
            payment_methods={"Carte bancaire": "5115", "Espèces": "530"},
        )
        source = ZeltySource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))
        day = run_source_day(tenant, "2025-03-14", source, pennylane_harness, tmp_path,
                             token="tok-brasserie")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2025-03-14", "Ventes 2025-03-14 — Brasserie ZT")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("5115", "36.40", "0.00", "Encaissements Carte bancaire"),
        ("530", "1.19", "0.00", "Encaissements Espèces"),  # 9.09 taken − 7.90 paid back
        ("707", "0.00", "27.44", "Ventes TVA 10 %"),
        ("707", "0.00", "4.50", "Ventes TVA 20 %"),
        ("44571", "0.00", "2.75", "TVA collectée 10 %"),
        ("44571", "0.00", "0.90", "TVA collectée 20 %"),
        ("4286", "0.00", "2.00", "Pourboires"),
    ])
