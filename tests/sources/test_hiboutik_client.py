"""HiboutikSource against the Hiboutik emulator over a real socket."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core.errors import MappingError
from core.periods import SalesPeriod
from emulators.generator import expected_frames, frame_differences, generate_day
from emulators.hiboutik import HiboutikState, create_app, load_simday
from emulators.server import serve
from resources.http import RetryPolicy
from resources.sources.hiboutik.source import HiboutikSource
from resources.tenants import TenantConfig
from tests.harness import load_sibling

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=2.0)
PARIS = ZoneInfo("Europe/Paris")


def _cases():
    return load_sibling(__file__, "test_hiboutik_parser.py", "hiboutik_parser_cases")


def tenant(url: str) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "comptoir-hb", "name": "Comptoir HB", "siret": "55208131766522", "start_date": "2025-01-01",
        "source": {"type": "hiboutik", "base_url": url + "/api",
                   "credentials": {"user": "HB_USER", "api_key": "HB_KEY"},
                   "settings": {"store_id": 1, "tip_skus": ["POURBOIRE"]}},
        "pennylane": {"token_env": "PL_TOKEN"},
    })


@pytest.fixture
def state(monkeypatch):
    monkeypatch.setenv("HB_USER", "api@boutique.fr")
    monkeypatch.setenv("HB_KEY", "HB-KEY")
    return HiboutikState(user="api@boutique.fr", api_key="HB-KEY", retry_after="0")


def source(t: TenantConfig, now: datetime) -> HiboutikSource:
    return HiboutikSource(t, policy=FAST, clock=lambda: now)


def test_hand_computed_day_over_http(state):
    cases = _cases()
    for s in cases.hand_day_sales():
        state.add_sale(s)
    state.categories.update({3: "Épicerie", 4: "Art de la table", 9: "Pourboires"})
    state.retry_after = "1"
    state.throttle_next(1)
    with serve(create_app(state)) as srv:
        t = tenant(srv.url)
        src = source(t, datetime(2025, 3, 15, 6, 0, tzinfo=PARIS))
        try:
            day = src.fetch(SalesPeriod(t, date(2025, 3, 14), date(2025, 3, 15)))
        finally:
            src.close()
    lines, payments = cases.hand_day_expected()
    # Sales come back in sale_id order from the API.
    pd.testing.assert_frame_equal(day.sales_lines, lines)
    pd.testing.assert_frame_equal(day.payments, payments)
    assert state.requests[:2] == ["GET /api/open_sales/1", "GET /api/open_sales/1"]  # 429, then retried


def test_generated_shop_day_pages_through_closed_sales_and_round_trips(state):
    simday = generate_day("shop", date(2025, 6, 20), seed=5)
    ids = load_simday(state, simday)
    state.page_size = 10
    state.throttle_next(3)
    with serve(create_app(state)) as srv:
        t = tenant(srv.url)
        src = source(t, datetime(2025, 6, 21, 6, 0, tzinfo=PARIS))
        try:
            day = src.fetch(SalesPeriod(t, simday.day, date(2025, 6, 21)))
        finally:
            src.close()
    expected = expected_frames(simday)
    for frame, cols in ((expected.sales_lines, ("order_id", "line_id", "product_id")),
                        (expected.payments, ("order_id", "payment_id"))):
        for col in cols:
            frame[col] = frame[col].map(ids).astype("string")
        frame["location"] = pd.Series("1", index=frame.index, dtype="string")
    assert frame_differences(day, expected) == []
    assert len(simday.orders) > 20 and day.sales_lines.is_refund.any()
    closed_pages = [r for r in state.requests if r.startswith("GET /api/closed_sales/1/2025/06/20")]
    assert len(set(closed_pages)) == -(-len(simday.orders) // 10)  # every page of 10 read once


def test_day_not_over_or_with_open_sales_is_waiting(state):
    cases = _cases()
    for s in cases.hand_day_sales():
        state.add_sale(s)
    state.add_sale({**cases.sale(2010, "2025-03-14 18:58:00", "12.00", "CB", []),
                    "completed_at": "0000-00-00 00:00:00"})
    with serve(create_app(state)) as srv:
        t = tenant(srv.url)
        period = SalesPeriod(t, date(2025, 3, 14), date(2025, 3, 15))
        results = []
        for now in (datetime(2025, 3, 14, 19, 0, tzinfo=PARIS), datetime(2025, 3, 15, 6, 0, tzinfo=PARIS)):
            src = source(t, now)
            results.append(src.fetch(period))
            src.close()
        during, after = results
    assert during.complete is False
    assert during.waiting_reason == ("the business day is not over in Europe/Paris "
                                     "(until 2025-03-15T00:00:00+01:00)")
    assert after.complete is False
    assert after.waiting_reason == "1 sale(s) created that day are still open at the till of store 1: 2010"


def test_wrong_api_key_is_a_mapping_error(state, monkeypatch):
    monkeypatch.setenv("HB_KEY", "wrong")
    with serve(create_app(state)) as srv:
        t = tenant(srv.url)
        src = source(t, datetime(2025, 3, 15, 6, 0, tzinfo=PARIS))
        with pytest.raises(MappingError) as exc:
            src.fetch(SalesPeriod(t, date(2025, 3, 14), date(2025, 3, 15)))
        src.close()
    assert str(exc.value) == ("[mapping] tenant comptoir-hb, day 2025-03-14: Hiboutik GET /api/open_sales/1: "
                              "HTTP 401 (unauthorized: Invalid user or API key); check the Hiboutik user and API key")
