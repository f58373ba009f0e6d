"""The Zettle source against the Zettle emulator (OAuth host + Purchase API) over a real socket."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.errors import MappingError
from core.periods import SalesPeriod
from emulators.server import serve
from emulators.zettle import ASSERTION_GRANT, ZettleState, build_purchase, create_app
from resources.http import RetryPolicy
from resources.sources.zettle.source import ZettleSource
from resources.tenants import TenantConfig

PARIS = ZoneInfo("Europe/Paris")
FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05)
LATER = datetime(2026, 6, 1, tzinfo=UTC)
COLS = ["order_id", "kind", "vat_rate", "quantity", "gross_cents", "vat_cents", "net_cents", "is_refund"]
PAY_COLS = ["order_id", "method", "amount_cents", "tip_cents", "is_refund"]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    st = ZettleState()
    monkeypatch.setenv("ZETTLE_TEST_CLIENT_ID", st.client_id)
    monkeypatch.setenv("ZETTLE_TEST_API_KEY", st.api_key)


def tenant(url: str, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "boutique-zettle", "name": "Boutique Zettle", "siret": "55208131766522",
        "timezone": "Europe/Paris", "start_date": "2026-01-01",
        "source": {"type": "zettle", "base_url": url,
                   "credentials": {"client_id": "ZETTLE_TEST_CLIENT_ID", "api_key": "ZETTLE_TEST_API_KEY"},
                   "settings": {"oauth_base_url": url, **settings}},
        "pennylane": {"token_env": "PENNYLANE_TEST_TOKEN"},
    })


def period(t: TenantConfig, day: date) -> SalesPeriod:
    return SalesPeriod(tenant=t, start=day, end=date.fromordinal(day.toordinal() + 1))


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def uid(n: int) -> str:
    return f"00000000-0000-1000-8000-{n:012d}"


def hand_computed_state() -> ZettleState:
    """Tuesday 10 March 2026 in a Paris shop: a refund of Monday's sale, a row discount, a 10 %
    purchase discount, a tip (gratuity) and two VAT rates."""
    st = ZettleState()
    prev = build_purchase(uid(1), paris(2026, 3, 9, 15, 0), [
        {"name": "Mug", "quantity": "1", "unit_price": 1500, "vat": 20}],
        [{"uuid": uid(101), "type": "IZETTLE_CARD", "amount": 1500}], number=1)
    s1 = build_purchase(uid(2), paris(2026, 3, 10, 9, 0), [
        {"name": "Café", "quantity": "2", "unit_price": 200, "vat": 10},
        {"name": "Sandwich", "quantity": "1", "unit_price": 650, "vat": 10, "discount": 50}],
        [{"uuid": uid(102), "type": "IZETTLE_CASH", "amount": 1000}], number=2)
    refund = build_purchase(uid(3), paris(2026, 3, 10, 11, 0), [
        {"name": "Mug", "quantity": "1", "unit_price": 1500, "vat": 20}],
        [{"uuid": uid(103), "type": "IZETTLE_CARD", "amount": 1500}], number=3, refunds=prev)
    s2 = build_purchase(uid(4), paris(2026, 3, 10, 20, 0), [
        {"name": "Verre de vin", "quantity": "1", "unit_price": 700, "vat": 20},
        {"name": "Planche", "quantity": "1", "unit_price": 1800, "vat": 10}],
        [{"uuid": uid(104), "type": "IZETTLE_CARD", "amount": 2250, "gratuity": 200}],
        number=4, purchase_discount=250)
    nxt = build_purchase(uid(5), paris(2026, 3, 11, 0, 30), [
        {"name": "Café", "quantity": "1", "unit_price": 200, "vat": 10}],
        [{"uuid": uid(105), "type": "IZETTLE_CASH", "amount": 200}], number=5)
    st.purchases += [prev, s1, refund, s2, nxt]
    return st


def test_hand_computed_day_with_paging_429_and_token_refresh():
    st = hand_computed_state()
    st.fail_next = 2  # the token request and the first purchases page are both throttled once
    st.tokens_valid_for = 2  # the token dies after two pages: the client must get a new one
    with serve(create_app(st)) as srv:
        source = ZettleSource(tenant(srv.url, page_limit=1), policy=FAST, clock=lambda: LATER)
        try:
            day = source.fetch(period(source.tenant, date(2026, 3, 10)))
        finally:
            source.close()
    assert day.complete
    assert [tuple(r) for r in day.sales_lines[COLS].itertuples(index=False)] == [
        (uid(2), "item", "10", 2.0, 400, 36, 364, False),
        (uid(2), "item", "10", 1.0, 600, 55, 545, False),  # 650 − 50 row discount
        (uid(3), "item", "20", -1.0, -1500, -250, -1250, True),  # Monday's mug, refunded today
        (uid(4), "item", "20", 1.0, 630, 105, 525, False),  # 700 − 70 (its share of the 250 discount)
        (uid(4), "item", "10", 1.0, 1620, 147, 1473, False),  # 1800 − 180
    ]
    assert [tuple(r) for r in day.payments[PAY_COLS].itertuples(index=False)] == [
        (uid(2), "IZETTLE_CASH", 1000, 0, False),
        (uid(3), "IZETTLE_CARD", -1500, 0, True),
        (uid(4), "IZETTLE_CARD", 2450, 200, False),
    ]
    assert day.payments["amount_cents"].sum() == day.sales_lines["gross_cents"].sum() + 200
    token_calls = [r for r in st.requests if r["path"] == "/token"]
    assert token_calls[0]["form"] == {"grant_type": ASSERTION_GRANT, "client_id": "emulated-client-id"}
    assert source.client.token_requests == 2  # first token, then one refresh after the 401
    pages = [r["query"] for r in st.requests if r["path"] == "/purchases/v2"]
    # paris day = [2026-03-09T23:00Z, 2026-03-10T23:00Z); one purchase per page, until an empty page
    assert {(q["startDate"], q["endDate"], q["limit"], q["descending"]) for q in pages} == {
        ("2026-03-09T23:00", "2026-03-10T23:00", "1", "false")}
    hashes = [q.get("lastPurchaseHash") for q in pages]
    assert len(set(hashes)) == 4  # first page, then after each of the 3 purchases
    assert sum(1 for r in source.client.retries if "HTTP 429" in r) == 2


def test_utc_window_on_a_dst_day_and_the_midnight_edges():
    st = ZettleState()

    def sale(n, when):
        return build_purchase(uid(n), when, [{"name": "Café", "quantity": "1", "unit_price": 200, "vat": 10}],
                              [{"uuid": uid(100 + n), "type": "IZETTLE_CARD", "amount": 200}], number=n)

    st.purchases += [sale(1, paris(2026, 3, 28, 23, 30)), sale(2, paris(2026, 3, 29, 0, 30)),
                     sale(3, paris(2026, 3, 29, 23, 30)), sale(4, paris(2026, 3, 30, 0, 30))]
    with serve(create_app(st)) as srv:
        source = ZettleSource(tenant(srv.url), policy=FAST, clock=lambda: LATER)
        try:
            sunday = source.fetch(period(source.tenant, date(2026, 3, 29)))
        finally:
            source.close()
    assert list(sunday.sales_lines["order_id"]) == [uid(2), uid(3)]
    q = next(r["query"] for r in st.requests if r["path"] == "/purchases/v2")
    assert (q["startDate"], q["endDate"]) == ("2026-03-28T23:00", "2026-03-29T22:00")  # a 23-hour day


def test_day_not_settled_waits_without_calling_zettle():
    st = hand_computed_state()
    with serve(create_app(st)) as srv:
        source = ZettleSource(tenant(srv.url), policy=FAST, clock=lambda: datetime(2026, 3, 11, 1, tzinfo=UTC))
        day = source.fetch(period(source.tenant, date(2026, 3, 10)))
        source.close()
    assert not day.complete
    assert day.waiting_reason == ("Zettle day ends at 2026-03-10T23:00:00+00:00; final 6:00:00 later "
                                  "(card readers sync late)")
    assert st.requests == []


def test_wrong_api_key_is_a_mapping_error(monkeypatch):
    monkeypatch.setenv("ZETTLE_TEST_API_KEY", "revoked-key")
    with serve(create_app(hand_computed_state())) as srv:
        source = ZettleSource(tenant(srv.url), policy=FAST, clock=lambda: LATER)
        with pytest.raises(MappingError) as err:
            source.fetch(period(source.tenant, date(2026, 3, 10)))
        source.close()
    assert str(err.value) == ("[mapping] tenant boutique-zettle, day 2026-03-10: Zettle token: HTTP 400 "
                              "(invalid_grant: Invalid assertion or client); check the client id and API key "
                              "(assertion), and that the key has the READ:PURCHASE scope")


def test_emulator_pages_like_the_documentation():
    st = hand_computed_state()
    with serve(create_app(st)) as srv, httpx.Client(base_url=srv.url) as http:
        token = http.post("/token", data={"grant_type": ASSERTION_GRANT, "client_id": st.client_id,
                                          "assertion": st.api_key}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        first = http.get("/purchases/v2", params={"limit": 2, "descending": "true"}, headers=auth).json()
        second = http.get("/purchases/v2", params={"limit": 2, "descending": "true",
                                                   "lastPurchaseHash": first["lastPurchaseHash"]},
                          headers=auth).json()
        no_token = http.get("/purchases/v2")
        bad_limit = http.get("/purchases/v2", params={"limit": 1001}, headers=auth)
        one = http.get(f"/purchase/v2/{uid(3)}", headers=auth).json()
    assert token["expires_in"] == 7200
    assert [p["purchaseNumber"] for p in first["purchases"]] == [5, 4]
    assert [p["purchaseNumber"] for p in second["purchases"]] == [3, 2]
    assert first["linkUrls"] == [f'<{srv.url}/purchases/v2?limit=2&descending=true&lastPurchaseHash='
                                 f'{first["lastPurchaseHash"]}>; rel="next"']
    assert first["lastPurchaseHash"].startswith(str(int(paris(2026, 3, 10, 20, 0).timestamp() * 1000)))
    assert no_token.status_code == 401 and bad_limit.status_code == 400
    assert (one["refund"], one["refundsPurchaseUUID1"], one["amount"]) == (True, uid(1), -1500)
    assert st.purchases[0]["refunded"] is True and st.purchases[0]["refundedByPurchaseUUIDs1"] == [uid(3)]
