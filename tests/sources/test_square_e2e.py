"""Square end to end: the Square emulator over a socket → ``run_period`` → the Pennylane emulator.

The day is the hand-computed Tuesday 10 March 2026 of ``test_square_client.py`` (Paris café):

- O1 (cash 11.00): 2 cafés 5.00 at 10 % (VAT 0.45), a beer 6.00 at 20 % (VAT 1.00)
- O2 (card 27.50 incl. a 3.00 tip): lunch 18.90 − 1.90 discount = 17.00 at 10 % (VAT 1.55),
  wine 5.50 at 20 % (VAT 0.92), terrace service charge 2.00 at 10 % (VAT 0.18)
- R1: Monday's 24.00 tea box (20 %) refunded on the card today: −20.00 net, −4.00 VAT

Ledger, by hand: sales 10 % = 4.55 + 15.45 + 1.82 = 21.82 credit; sales 20 % = 5.00 + 4.58 − 20.00
= −10.42 (a debit); VAT 10 % = 0.45 + 1.55 + 0.18 = 2.18 credit; VAT 20 % = 1.00 + 0.92 − 4.00 = −2.08
(a debit); cash 11.00 debit; card 27.50 − 24.00 = 3.50 debit; tips 3.00 credit.
Debits 11.00 + 3.50 + 10.42 + 2.08 = 27.00 = credits 21.82 + 2.18 + 3.00.
"""

from __future__ import annotations

from datetime import UTC, datetime

from emulators.server import serve
from emulators.square import create_app
from resources.http import RetryPolicy
from resources.sources.square.source import SquareSource
from tests.harness import load_sibling, run_source_day, tenant_config

day_mod = load_sibling(__file__, "test_square_client.py", "square_client_e2e")


def test_square_day_lands_in_pennylane_with_the_exact_lines(tmp_path, pennylane_harness, monkeypatch):
    sq_state = day_mod.hand_computed_state()
    sq_state.page_size_cap = 1
    sq_state.fail_next = 1
    monkeypatch.setenv("SQUARE_TEST_TOKEN", sq_state.token)
    monkeypatch.setenv("PENNYLANE_TOKEN_TEST", "tok-cafe")
    pennylane_harness.company("tok-cafe", "Café")
    with serve(create_app(sq_state)) as sq:
        tenant = tenant_config(
            "cafe-square", name="Café de la Gare", start_date="2026-01-01",
            source={"type": "square", "base_url": sq.url,
                    "credentials": {"access_token": "SQUARE_TEST_TOKEN"}},
            pennylane_base_url=pennylane_harness.base_url, token_env="PENNYLANE_TOKEN_TEST",
            payment_methods={"CARD": "5115", "CASH": "530"},
        )
        source = SquareSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                              clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        day = run_source_day(tenant, "2026-03-10", source, pennylane_harness, tmp_path,
                             token="tok-cafe")
    assert (day.result.status, day.result.message) == ("posted", "")
    assert [(e["date"], e["label"]) for e in day.entries] == [("2026-03-10", "Ventes 2026-03-10 — Café de la Gare")]
    pennylane_harness.assert_no_spec_violations()
    assert day.entries[0]["lines"] == sorted([
        ("530", "11.00", "0.00", "Encaissements CASH"),
        ("5115", "3.50", "0.00", "Encaissements CARD"),  # 27.50 taken − 24.00 refunded
        ("707", "0.00", "21.82", "Ventes TVA 10 %"),
        ("707", "10.42", "0.00", "Ventes TVA 20 %"),  # the refund outweighs the day's 20 % sales
        ("44571", "0.00", "2.18", "TVA collectée 10 %"),
        ("44571", "2.08", "0.00", "TVA collectée 20 %"),
        ("4286", "0.00", "3.00", "Pourboires"),
    ])
