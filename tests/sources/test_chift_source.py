"""ChiftSource against the Chift emulator over a real socket; every request is checked against
the Chift OpenAPI spec (``chift_validator``)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from core.errors import MappingError, TransientError
from core.periods import SalesPeriod
from emulators.chift import ChiftEmulatorState, create_app
from emulators.generator import expected_frames, frame_differences, generate_day
from emulators.server import serve
from resources.http import RetryPolicy
from resources.sources.chift.source import ChiftSource
from resources.tenants import TenantConfig

CONSUMER = "0b7e4bb4-6f55-4a51-9d52-5cbd2f3f6a01"
DAY = date(2026, 3, 29)  # DST change in Paris: a 23-hour day
FAST = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=2.0)


def make_tenant(url: str, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "bistrot-paix", "name": "Restaurant de la Paix", "siret": "73282932000074",
        "start_date": "2026-01-01",
        "source": {
            "type": "chift", "base_url": url,
            "credentials": {"client_id": "CHIFT_CLIENT_ID", "client_secret": "CHIFT_CLIENT_SECRET",
                            "account_id": "CHIFT_ACCOUNT_ID"},
            "settings": {"consumer_id": CONSUMER, **settings},
        },
        "pennylane": {"token_env": "PENNYLANE_TOKEN"},
    })


@pytest.fixture
def state(monkeypatch) -> ChiftEmulatorState:
    st = ChiftEmulatorState()
    monkeypatch.setenv("CHIFT_CLIENT_ID", st.client_id)
    monkeypatch.setenv("CHIFT_CLIENT_SECRET", st.client_secret)
    monkeypatch.setenv("CHIFT_ACCOUNT_ID", st.account_id)
    return st


@pytest.fixture
def server(state):
    with serve(create_app(state)) as srv:
        yield srv


def fetch(server, validator, day: date = DAY, **settings):
    tenant = make_tenant(server.url, **settings)
    source = ChiftSource(tenant, policy=FAST, event_hooks=validator.hooks)
    try:
        return source.fetch(SalesPeriod(tenant, day, day + timedelta(days=1)))
    finally:
        source.close()


@pytest.mark.parametrize("profile", ["restaurant", "shop"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_day_parses_to_the_generators_ground_truth(state, server, chift_validator, profile, seed):
    simday = generate_day(profile, DAY, seed=seed, locations=2)
    state.add_day(CONSUMER, simday)
    # Neighbouring days are served too: the client's wider date window must not leak them in.
    state.add_day(CONSUMER, generate_day(profile, DAY - timedelta(days=1), seed=seed, locations=2))
    state.add_day(CONSUMER, generate_day(profile, DAY + timedelta(days=1), seed=seed, locations=2))

    day = fetch(server, chift_validator, page_size=25)

    assert day.complete and day.waiting_reason is None
    expected = expected_frames(simday, with_closures=True, without=("sku",))
    assert frame_differences(day, expected, closures=True) == []
    # Multi-page: 2 locations × > 25 orders each were read page by page.
    pages = {q.get("page") for _, path, q in state.requests_to("/pos/orders")}
    assert {"1", "2"} <= pages
    assert all(q["size"] == "25" for _, _, q in state.requests_to("/pos/orders"))
    if chift_validator.active:  # every request checked, every answer documented
        assert chift_validator.checked == len(state.requests) > 0
        assert chift_validator.responses_checked == len(state.requests)


def test_refunds_and_unknown_methods_come_through_as_the_till_names_them(state, server, chift_validator):
    simday = generate_day("shop", DAY, seed=4)
    state.add_day(CONSUMER, simday)
    day = fetch(server, chift_validator)
    refunds = day.sales_lines[day.sales_lines.is_refund]
    assert len(refunds) > 0 and (refunds.gross_cents < 0).all()
    assert set(day.payments.method) == set(simday.payment_methods)  # "CB", "Espèces", not "Card", "Cash"


def test_a_429_with_retry_after_is_absorbed(state, server, chift_validator):
    simday = generate_day("restaurant", DAY, seed=1, n_orders=30)
    state.add_day(CONSUMER, simday)
    state.inject_fault("/pos/orders", 429, retry_after="1",
                       body={"message": "Too many requests", "status": "error"})
    day = fetch(server, chift_validator)
    assert frame_differences(day, expected_frames(simday, without=("sku",))) == []
    assert len(state.requests_to("/pos/orders")) == 2  # the refused one, then the retry


def test_the_rate_limit_window_is_honoured(state, server, chift_validator):
    simday = generate_day("restaurant", DAY, seed=2, n_orders=30)
    state.add_day(CONSUMER, simday)
    state.rate_limit, state.rate_window, state.retry_after_seconds = 6, 0.5, 1
    day = fetch(server, chift_validator)
    assert state.rate_limited >= 1
    assert frame_differences(day, expected_frames(simday, without=("sku",))) == []


def test_502_from_the_pos_connector_is_retried(state, server, chift_validator):
    simday = generate_day("shop", DAY, seed=1, n_orders=10)
    state.add_day(CONSUMER, simday)
    state.inject_fault("/pos/closures", 502, times=2,
                       body={"message": "Error while trying to authenticate to Cashpad", "status": "error"})
    day = fetch(server, chift_validator)
    assert day.complete
    assert len(state.requests_to(f"/pos/closures/{DAY.isoformat()}")) == 3


def test_persistent_502_is_a_transient_error_naming_tenant_and_day(state, server, chift_validator):
    state.add_day(CONSUMER, generate_day("shop", DAY, seed=1, n_orders=5))
    state.inject_fault("/pos/closures", 502, times=10,
                       body={"message": "Error while trying to authenticate to Cashpad", "status": "error"})
    with pytest.raises(TransientError) as info:
        fetch(server, chift_validator)
    assert str(info.value) == (
        f"[transient] tenant bistrot-paix, day {DAY}: Chift GET /consumers/{CONSUMER}/pos/closures/{DAY}: "
        "HTTP 502 (Error while trying to authenticate to Cashpad); still failing after retries")


def test_an_open_closure_makes_the_day_wait_without_reading_orders(state, server, chift_validator):
    state.add_day(CONSUMER, generate_day("restaurant", DAY, seed=1, locations=2), closure_status="closed")
    state.set_closure_status(CONSUMER, DAY, "open", location_id="loc-2")
    day = fetch(server, chift_validator)
    assert not day.complete
    assert day.waiting_reason == f"Chift closure not closed yet for loc-2 {DAY} (open)"
    assert len(day.sales_lines) == 0
    assert state.requests_to("/pos/orders") == []


def test_open_closure_is_read_anyway_when_not_required(state, server, chift_validator):
    simday = generate_day("restaurant", DAY, seed=1)
    state.add_day(CONSUMER, simday, closure_status="open")
    day = fetch(server, chift_validator, require_closed_closure=False)
    assert day.complete
    assert day.notes == [f"closure not closed (require_closed_closure is off): loc-1 {DAY} (open)"]
    assert frame_differences(day, expected_frames(simday, without=("sku",))) == []
    assert len(day.closure_totals) == 0


def test_closure_totals_that_disagree_with_the_orders_are_visible(state, server, chift_validator):
    simday = generate_day("restaurant", DAY, seed=1, unknown_methods=False)
    state.add_day(CONSUMER, simday)
    state.tamper_closure_payment(CONSUMER, DAY, "loc-1", "Espèces", -500)
    day = fetch(server, chift_validator)
    z = day.closure_totals.set_index(["dimension", "key"])
    cash_paid = int(day.payments[day.payments.method == "Espèces"].amount_cents.sum())
    assert z.loc[("payment", "Espèces"), "amount_cents"] == cash_paid - 500
    card_paid = int(day.payments[day.payments.method == "Carte bancaire"].amount_cents.sum())
    assert z.loc[("payment", "Carte bancaire"), "amount_cents"] == card_paid  # tips included


def test_configured_locations_limit_what_is_read(state, server, chift_validator):
    simday = generate_day("shop", DAY, seed=2, locations=2)
    state.add_day(CONSUMER, simday)
    day = fetch(server, chift_validator, location_ids=["loc-2"])
    assert set(day.sales_lines.location) == {"loc-2"}
    assert {q["location_id"] for _, _, q in state.requests_to("/pos/orders")} == {"loc-2"}


def test_unknown_configured_location_is_a_mapping_error(state, server, chift_validator):
    state.add_day(CONSUMER, generate_day("shop", DAY, seed=2))
    with pytest.raises(MappingError, match=r"tenant bistrot-paix, day 2026-03-29: source.settings.location_ids "
                                           r"\['loc-9'\] are not locations of this Chift consumer"):
        fetch(server, chift_validator, location_ids=["loc-9"])


def test_wrong_credentials_are_a_mapping_error(state, server, chift_validator, monkeypatch):
    state.add_day(CONSUMER, generate_day("shop", DAY, seed=2, n_orders=3))
    monkeypatch.setenv("CHIFT_CLIENT_SECRET", "wrong")
    with pytest.raises(MappingError, match=r"Chift POST /token: HTTP 401 \(Unauthorized: invalid client credentials\); "
                       r"check source.credentials"):
        fetch(server, chift_validator)


def test_an_expired_token_is_renewed_once(state, server, chift_validator):
    simday = generate_day("shop", DAY, seed=3, n_orders=12)
    state.add_day(CONSUMER, simday)
    tenant = make_tenant(server.url)
    source = ChiftSource(tenant, policy=FAST, event_hooks=chift_validator.hooks)
    period = SalesPeriod(tenant, DAY, DAY + timedelta(days=1))
    source.fetch(period)
    state.tokens.clear()  # Chift forgot every token (30-minute expiry)
    day = source.fetch(period)
    source.close()
    assert frame_differences(day, expected_frames(simday, without=("sku",))) == []
    assert len(state.requests_to("/token")) == 2


def test_emulator_answers_bad_token_and_bad_page_size_with_the_spec_error_bodies(state, server):
    state.add_day(CONSUMER, generate_day("shop", DAY, seed=3, n_orders=3))
    r = httpx.get(f"{server.url}/consumers/{CONSUMER}/pos/locations", headers={"authorization": "Bearer nope"})
    assert (r.status_code, r.json()) == (401, {"message": "Invalid or expired token", "status": "error",
                                               "error_code": "ERROR_INVALID_TOKEN"})
    token = httpx.post(f"{server.url}/token", json={"clientId": state.client_id, "clientSecret": state.client_secret,
                                                    "accountId": state.account_id}).json()["access_token"]
    r = httpx.get(f"{server.url}/consumers/{CONSUMER}/pos/orders", params={"size": 101},
                  headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "size"]
    r = httpx.get(f"{server.url}/consumers/8f0e9d7c-0000-4000-8000-000000000000/pos/orders",
                  headers={"authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (404, {"message": "The consumer does not exist", "status": "error"})


def test_locations_in_another_time_zone_use_their_own_business_day(state, server, chift_validator):
    # A tenant in Paris with a shop in French Guiana: the shop's day is its local day (UTC-3).
    simday = generate_day("shop", DAY, seed=5, timezone="America/Cayenne", n_orders=40)
    state.add_day(CONSUMER, simday)
    state.add_day(CONSUMER, generate_day("shop", DAY + timedelta(days=1), seed=5, timezone="America/Cayenne"))
    day = fetch(server, chift_validator)
    assert frame_differences(day, expected_frames(simday, with_closures=True, without=("sku",)),
                             closures=True) == []


def test_the_spec_validator_flags_requests_outside_the_chift_spec(chift_validator):
    if not chift_validator.active:
        pytest.skip("the Chift spec validation layer is off (no spec; `make specs`)")
    base = f"http://127.0.0.1:1/consumers/{CONSUMER}/pos"
    chift_validator._on_request(httpx.Request("GET", f"{base}/payments?date_from=2026-03-29"))
    chift_validator._on_request(httpx.Request("GET", f"{base}/orders?date_from=29/03/2026"))
    chift_validator._on_request(httpx.Request("GET", "http://127.0.0.1:1/consumers/acme/pos/locations"))
    found = list(chift_validator.violations)
    chift_validator.violations.clear()  # expected ones: do not fail this test at teardown
    assert len(found) == 3
    assert "MissingRequiredParameter(name='date_to', location='query')" in found[0]
    assert "InvalidParameter(name='date_from', location='query')" in found[1]
    assert "InvalidParameter(name='consumer_id', location='path')" in found[2]


def test_a_multi_day_period_reads_every_days_closure_and_orders(state, server, chift_validator):
    import pandas as pd

    from emulators.generator import sort_canonical

    days = [generate_day("shop", DAY + timedelta(days=i), seed=6, n_orders=15) for i in range(3)]
    for d in days:
        state.add_day(CONSUMER, d)
    tenant = make_tenant(server.url)
    source = ChiftSource(tenant, policy=FAST, event_hooks=chift_validator.hooks)
    got = source.fetch(SalesPeriod(tenant, DAY, DAY + timedelta(days=3)))
    source.close()
    expected = [expected_frames(d, without=("sku",)) for d in days]
    lines = sort_canonical(pd.concat([e.sales_lines for e in expected], ignore_index=True))
    assert sort_canonical(got.sales_lines).equals(lines)
    z = got.closure_totals
    assert int(z[z.dimension == "vat"].amount_cents.sum()) == int(lines.gross_cents.sum())
    assert sorted(p.split("/")[-1] for _, p, _ in state.requests_to("")
                  if "/closures/" in p) == [str(DAY + timedelta(days=i)) for i in range(3)]
