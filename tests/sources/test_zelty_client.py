"""ZeltySource against the Zelty emulator over a real socket."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.errors import MappingError
from core.periods import SalesPeriod
from emulators.generator import expected_frames, generate_day
from emulators.server import serve
from emulators.zelty import ZeltyState, create_app, load_simday
from resources.http import RetryPolicy
from resources.sources.zelty import client as zelty_module
from resources.sources.zelty.source import ZeltySource
from resources.tenants import TenantConfig
from tests.harness import load_sibling

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=2.0)


def _cases():
    return load_sibling(__file__, "test_zelty_parser.py", "zelty_parser_cases")


def tenant(url: str, restaurants: list[int]) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "brasserie-zt", "name": "Brasserie ZT", "siret": "44306184100047", "start_date": "2025-01-01",
        "source": {"type": "zelty", "base_url": url + "/2.10", "credentials": {"api_key": "ZELTY_KEY"},
                   "settings": {"restaurant_ids": restaurants}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


@pytest.fixture
def state(monkeypatch):
    monkeypatch.setenv("ZELTY_KEY", "zelty-test-key")
    return ZeltyState(api_key="zelty-test-key", retry_after="0")


def fetch(state: ZeltyState, restaurants: list[int], day: date):
    with serve(create_app(state)) as srv:
        t = tenant(srv.url, restaurants)
        source = ZeltySource(t, policy=FAST)
        try:
            return source.fetch(SalesPeriod(t, day, day.fromordinal(day.toordinal() + 1)))
        finally:
            source.close()


def test_hand_computed_closure_day_over_http_with_a_429_absorbed(state):
    cases = _cases()
    state.closures.append(cases.hand_closure())
    state.orders.extend({**o, "till_id": 109} for o in cases.hand_orders())
    state.retry_after = "1"
    state.throttle_next(1)
    day = fetch(state, [5146], date(2025, 3, 14))
    lines, payments = cases.hand_expected()
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert day.complete is True
    assert state.requests[0] == state.requests[1] == (
        "GET /2.10/closures?after=2025-03-13&before=2025-03-15&restaurant_ids=5146&limit=200&offset=0")
    assert state.requests[2] == ("GET /2.10/orders?from=2025-03-14&to=2025-03-15&till_id=109&expand%5B%5D=items"
                                 "&expand%5B%5D=transactions&expand%5B%5D=price&limit=100&offset=0")


def test_generated_restaurant_day_pages_orders_and_matches_the_ground_truth(state, monkeypatch):
    monkeypatch.setattr(zelty_module, "ORDERS_PAGE", 15)
    simday = generate_day("restaurant", date(2025, 6, 20), seed=21, locations=2)
    ids = load_simday(state, simday, restaurant_ids={"loc-1": 5146, "loc-2": 5147})
    state.throttle_next(2)
    day = fetch(state, [5146, 5147], simday.day)
    expected = expected_frames(simday)
    # Payments: exact, once ids are Zelty's.
    exp_pay = expected.payments.copy()
    for col in ("order_id", "payment_id"):
        exp_pay[col] = exp_pay[col].map(ids).astype("string")
    exp_pay["location"] = exp_pay["location"].map({"loc-1": "5146", "loc-2": "5147"}).astype("string")
    got_pay = day.payments.sort_values("payment_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got_pay, exp_pay.sort_values("payment_id").reset_index(drop=True))
    # Lines: Zelty has one entry per unit, so compare per order and VAT rate, to the cent.
    def per_rate(df, order_ids=None):
        df = df.copy()
        if order_ids is not None:
            df["order_id"] = df["order_id"].map(order_ids).astype("string")
        return (df.groupby(["order_id", "vat_rate"])[["net_cents", "vat_cents", "gross_cents"]].sum()
                .sort_index())
    pd.testing.assert_frame_equal(per_rate(day.sales_lines), per_rate(expected.sales_lines, ids))
    assert day.payments.tip_cents.sum() == expected.payments.tip_cents.sum() > 0
    order_pages = [r for r in state.requests if "/orders?" in r]
    assert len(order_pages) > 4  # both closures, several pages of 15


def test_a_day_without_its_closure_is_waiting(state):
    simday = generate_day("restaurant", date(2025, 6, 20), seed=2, locations=2)
    load_simday(state, simday, restaurant_ids={"loc-1": 5146, "loc-2": 5147})
    state.closures = [c for c in state.closures if c["id_restaurant"] == 5146]
    day = fetch(state, [5146, 5147], simday.day)
    assert day.complete is False
    assert day.waiting_reason == "no Zelty closure yet for 2025-06-20 for restaurant(s) 5147"
    assert not any("/orders?" in r for r in state.requests)


def test_a_wrong_api_key_is_a_mapping_error(state, monkeypatch):
    monkeypatch.setenv("ZELTY_KEY", "revoked")
    with pytest.raises(MappingError) as exc:
        fetch(state, [5146], date(2025, 3, 14))
    assert str(exc.value) == ("[mapping] tenant brasserie-zt, day 2025-03-14: Zelty GET /closures: HTTP 401 "
                              "(Unauthorized); check the Zelty API key")
