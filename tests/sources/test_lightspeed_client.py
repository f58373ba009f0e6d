"""LightspeedSource against the K-Series emulator over a real socket."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pydantic import ValidationError

from core.errors import MappingError
from core.periods import SalesPeriod
from emulators.generator import expected_frames, frame_differences, generate_day
from emulators.lightspeed import LightspeedState, create_app, sales_from_simday
from emulators.server import serve
from resources.http import RetryPolicy
from resources.sources.lightspeed.source import LightspeedSource
from resources.tenants import TenantConfig
from tests.harness import load_sibling

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=2.0)
LOC_A, LOC_B = "45454565682155", "45454565682156"


def _parser_tests():
    """The hand-computed day lives next to the parser tests; load it (importlib mode)."""
    return load_sibling(__file__, "test_lightspeed_parser.py", "lightspeed_parser_cases")


def tenant(url: str, locations: list[str]) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "bistrot-ls", "name": "Bistrot LS", "siret": "73282932000074", "start_date": "2025-01-01",
        "source": {"type": "lightspeed", "base_url": url, "credentials": {"access_token": "LSK_TOKEN"},
                   "settings": {"business_location_ids": locations}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


@pytest.fixture
def state(monkeypatch):
    monkeypatch.setenv("LSK_TOKEN", "lsk-test-token")
    return LightspeedState(token="lsk-test-token", retry_after="0")


def test_hand_computed_day_over_http_with_a_429_absorbed(state):
    cases = _parser_tests()
    state.retry_after = "1"  # the client must wait the advertised second, then succeed
    state.put_day(LOC_A, date(2025, 3, 14), cases.hand_day_sales())
    state.throttle_next(1)
    with serve(create_app(state)) as srv:
        t = tenant(srv.url, [LOC_A])
        source = LightspeedSource(t, policy=FAST)
        try:
            day = source.fetch(SalesPeriod(t, date(2025, 3, 14), date(2025, 3, 15)))
        finally:
            source.close()
    lines, payments = cases.hand_day_expected()
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert day.complete is True
    # One throttled call, then the same call again; payments were asked for explicitly.
    assert state.requests == [f"GET /f/v2/business-location/{LOC_A}/sales-daily?date=2025-03-14&include=payments"] * 2


def test_generated_restaurant_day_two_locations_round_trips_to_the_cent(state):
    simday = generate_day("restaurant", date(2025, 6, 20), seed=11, locations=2)
    sales_from_simday(state, simday, {"loc-1": LOC_A, "loc-2": LOC_B})
    state.throttle_next(2)
    with serve(create_app(state)) as srv:
        t = tenant(srv.url, [LOC_A, LOC_B])
        source = LightspeedSource(t, policy=FAST)
        try:
            day = source.fetch(SalesPeriod(t, simday.day, date(2025, 6, 21)))
        finally:
            source.close()
    expected = expected_frames(simday)
    # Lightspeed sales lines carry a SKU but no product id; locations are business location ids.
    expected.sales_lines["product_id"] = pd.Series("", index=expected.sales_lines.index, dtype="string")
    for frame in (expected.sales_lines, expected.payments):
        frame["location"] = frame["location"].map({"loc-1": LOC_A, "loc-2": LOC_B}).astype("string")
    assert frame_differences(day, expected) == []
    assert day.payments.tip_cents.sum() > 0 and day.sales_lines.is_refund.any()
    assert len(state.requests) == 4  # two locations, two 429s absorbed


def test_incomplete_day_waits_then_posts_when_the_flag_turns_true(state):
    simday = generate_day("restaurant", date(2025, 6, 21), seed=3)
    sales_from_simday(state, simday, {"loc-1": LOC_A}, complete=False)
    with serve(create_app(state)) as srv:
        t = tenant(srv.url, [LOC_A])
        source = LightspeedSource(t, policy=FAST)
        period = SalesPeriod(t, simday.day, date(2025, 6, 22))
        try:
            waiting = source.fetch(period)
            state.set_complete(LOC_A, simday.day, True)
            done = source.fetch(period)
        finally:
            source.close()
    assert waiting.complete is False
    assert waiting.waiting_reason == f"Lightspeed dataComplete is false for location {LOC_A} day 2025-06-21"
    assert done.complete is True and len(done.sales_lines) == sum(len(o.lines) for o in simday.orders)


def test_a_rejected_token_is_a_mapping_error_asking_to_reauthorize(state, monkeypatch):
    monkeypatch.setenv("LSK_TOKEN", "expired")
    state.put_day(LOC_A, date(2025, 3, 14), [])
    with serve(create_app(state)) as srv:
        t = tenant(srv.url, [LOC_A])
        source = LightspeedSource(t, policy=FAST)
        with pytest.raises(MappingError) as exc:
            source.fetch(SalesPeriod(t, date(2025, 3, 14), date(2025, 3, 15)))
        source.close()
    assert str(exc.value) == (
        "[mapping] tenant bistrot-ls, day 2025-03-14: Lightspeed sales-daily location 45454565682155 "
        "2025-03-14: HTTP 401 (Unauthorized); re-authorize the Lightspeed connection (scope financial-api)")


def test_missing_location_setting_is_refused_with_the_tenant():
    with pytest.raises(ValidationError, match=r"source.lightspeed.settings.business_location_ids\n  List should "
                                              r"have at least 1 item"):
        tenant("http://127.0.0.1:1", [])
