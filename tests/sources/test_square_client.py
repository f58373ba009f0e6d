"""The Square source against the Square emulator over a real socket.

Every request the client sends is validated against Square's official OpenAPI spec
(``square-connect-api.json``) in an httpx event hook; any violation fails the test.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from core.periods import SalesPeriod
from emulators.server import serve
from emulators.square import SquareState, build_order, build_refund, create_app
from resources.http import RetryPolicy
from resources.sources.square.source import SquareSource
from resources.tenants import TenantConfig

PARIS = ZoneInfo("Europe/Paris")
FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05)
LATER = datetime(2026, 6, 1, tzinfo=UTC)  # every test day is long final by then


@pytest.fixture(scope="session")
def square_openapi(square_spec) -> OpenAPI | None:
    """None without the spec (``make specs``): only the header checks below apply."""
    if square_spec is None:
        return None
    return OpenAPI.from_dict(json.loads(square_spec.read_text()), config=Config(spec_validator_cls=None))


class _SpecRequest:
    """An httpx request seen as openapi-core sees requests; the host is Square's production one
    (only the base URL differs between production and the emulator)."""

    def __init__(self, request: httpx.Request):
        self.host_url = "https://connect.squareup.com"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


def spec_violations(openapi: OpenAPI | None, request: httpx.Request) -> list[str]:
    """What the spec (and its x-additional-headers: Square-Version, Bearer auth) says is wrong."""
    request.read()
    where = f"{request.method} {request.url.path}"
    found = []
    if openapi is not None:
        try:
            openapi.validate_request(_SpecRequest(request))
        except Exception as exc:
            found.append(f"{where}: {type(exc).__name__}: {exc}")
    if not request.headers.get("authorization", "").startswith("Bearer "):
        found.append(f"{where}: no Bearer authorization")
    if not request.headers.get("square-version"):
        found.append(f"{where}: no Square-Version header")
    return found


@pytest.fixture
def spec_checked(square_openapi):
    """(event_hooks, violations): validate every outgoing request against the spec; the test
    fails at teardown on any violation."""
    violations: list[str] = []
    seen: list[str] = []

    def check(request: httpx.Request) -> None:
        seen.append(request.url.path)
        violations.extend(spec_violations(square_openapi, request))

    yield {"request": [check]}, violations
    assert seen, "no request went through the spec check"
    assert violations == []


def test_the_spec_check_catches_a_bad_request(square_openapi):
    if square_openapi is None:
        pytest.skip("the Square spec validation layer is off (no spec; `make specs`)")
    bad = httpx.Request("POST", "http://127.0.0.1:1/v2/orders/search",
                        json={"location_ids": ["L"], "limit": "500",
                              "query": {"sort": {"sort_field": "CLOSED"}}})
    found = spec_violations(square_openapi, bad)
    assert len(found) == 3
    assert "is not one of ['CREATED_AT', 'UPDATED_AT', 'CLOSED_AT']" in found[0] or "'500' is not of type" in found[0]
    assert found[1:] == ["POST /v2/orders/search: no Bearer authorization",
                         "POST /v2/orders/search: no Square-Version header"]


def tenant(base_url: str, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": "cafe-square", "name": "Café Square", "siret": "73282932000074", "timezone": "Europe/Paris",
        "start_date": "2026-01-01",
        "source": {"type": "square", "base_url": base_url, "credentials": {"access_token": "SQUARE_TEST_TOKEN"},
                   "settings": settings},
        "pennylane": {"token_env": "PENNYLANE_TEST_TOKEN"},
    })


def period(t: TenantConfig, day: date) -> SalesPeriod:
    return SalesPeriod(tenant=t, start=day, end=date.fromordinal(day.toordinal() + 1))


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _token(monkeypatch):
    monkeypatch.setenv("SQUARE_TEST_TOKEN", SquareState().token)


def rows(frame, cols):
    return [tuple(r) for r in frame[cols].itertuples(index=False)]


LINE_COLS = ["order_id", "line_id", "kind", "vat_rate", "quantity", "gross_cents", "vat_cents", "net_cents",
             "is_refund"]
PAY_COLS = ["order_id", "payment_id", "method", "amount_cents", "tip_cents", "is_refund"]


def hand_computed_state() -> SquareState:
    """The issue's day (Tuesday 10 March 2026, café in Paris): a refund of an earlier order, a tip,
    a discount, a service charge and two VAT rates (10 % on site, 20 % alcohol)."""
    st = SquareState()
    st.add_location("LCAFE1", "Café de la Gare", "Europe/Paris")
    prev = build_order("O-PREV", "LCAFE1", paris(2026, 3, 9, 17, 0), [
        {"uid": "p1", "name": "Coffret thé", "quantity": "1", "unit_gross": 2400, "vat": "20"}],
        [{"id": "PAY-PREV", "type": "CARD", "amount": 2400}])
    o1 = build_order("O1", "LCAFE1", paris(2026, 3, 10, 8, 5), [
        {"uid": "o1-a", "name": "Café", "quantity": "2", "unit_gross": 250, "vat": "10"},
        {"uid": "o1-b", "name": "Bière", "quantity": "1", "unit_gross": 600, "vat": "20"}],
        [{"id": "PAY-O1", "type": "CASH", "amount": 1100}])
    o2 = build_order("O2", "LCAFE1", paris(2026, 3, 10, 12, 30), [
        {"uid": "o2-a", "name": "Formule déjeuner", "quantity": "1", "unit_gross": 1890, "vat": "10",
         "discount": 190},
        {"uid": "o2-b", "name": "Verre de vin", "quantity": "1", "unit_gross": 550, "vat": "20"}],
        [{"id": "PAY-O2", "type": "CARD", "amount": 2450, "tip": 300}],
        service_charges=[{"uid": "o2-sc", "name": "Service terrasse", "amount": 200, "vat": "10"}])
    st.orders += [prev, o1, o2]
    st.refunds += [
        build_refund("R1", prev, 2400, paris(2026, 3, 10, 10, 15)),
        build_refund("R-REJ", o1, 500, paris(2026, 3, 10, 11, 0), status="REJECTED"),
    ]
    return st


def test_hand_computed_day_over_a_socket_with_paging_and_429(spec_checked):
    hooks, _violations = spec_checked
    st = hand_computed_state()
    st.page_size_cap = 1  # one order / one refund per page: SearchOrders and ListPaymentRefunds both page
    st.fail_next = 1  # the very first request is throttled
    st.rate_limit_every = 4  # and every 4th request after that
    with serve(create_app(st)) as srv:
        source = SquareSource(tenant(srv.url), policy=FAST, clock=lambda: LATER, event_hooks=hooks)
        try:
            day = source.fetch(period(source.tenant, date(2026, 3, 10)))
        finally:
            source.close()
    assert day.complete
    assert rows(day.sales_lines, LINE_COLS) == [
        ("O1", "o1-a", "item", "10", 2.0, 500, 45, 455, False),
        ("O1", "o1-b", "item", "20", 1.0, 600, 100, 500, False),
        ("O2", "o2-a", "item", "10", 1.0, 1700, 155, 1545, False),
        ("O2", "o2-b", "item", "20", 1.0, 550, 92, 458, False),
        ("O2", "o2-sc", "service_charge", "10", 1.0, 200, 18, 182, False),
        ("O-PREV", "R1:20", "item", "20", 0.0, -2400, -400, -2000, True),
    ]
    assert rows(day.payments, PAY_COLS) == [
        ("O1", "PAY-O1", "CASH", 1100, 0, False),
        ("O2", "PAY-O2", "CARD", 2750, 300, False),
        ("O-PREV", "R1", "CARD", -2400, 0, True),
    ]
    assert set(day.sales_lines["location"]) == set(day.payments["location"]) == {"LCAFE1"}
    assert set(day.sales_lines["currency"]) == {"EUR"} and set(day.sales_lines["country"]) == {"FR"}
    # the day balances: takings = goods + tips
    assert day.payments["amount_cents"].sum() == day.sales_lines["gross_cents"].sum() + 300
    assert "1 refund(s) REJECTED/FAILED ignored" in day.notes
    throttled = sum(1 for r in source.client.retries if "HTTP 429" in r)
    assert throttled >= 2
    searches = [r["body"] for r in st.requests if r["path"] == "/v2/orders/search"]
    assert sum(1 for b in searches if b.get("cursor")) >= 1  # a second page was read...
    assert all(b["query"] == searches[0]["query"] for b in searches)  # ...re-sending the original query
    refund_pages = [r["query"] for r in st.requests if r["path"] == "/v2/refunds"]
    assert sum(1 for q in refund_pages if q.get("cursor")) >= 1  # R1 and R-REJ: one page each
    assert [r["body"] for r in st.requests if r["path"] == "/v2/orders/batch-retrieve"][-1] == {
        "order_ids": ["O-PREV"]}  # the refunded order is fetched, once
    assert {r["square_version"] for r in st.requests} == {"2025-08-20"}


def test_time_zone_edges_on_a_dst_change_day(spec_checked):
    """Sunday 29 March 2026, Paris springs forward (02:00 → 03:00): the day lasts 23 h,
    from 2026-03-28T23:00Z to 2026-03-29T22:00Z. Orders at 23:30 and 00:30 local land on the
    local day, not the UTC one."""
    hooks, _ = spec_checked
    st = SquareState()
    st.add_location("LCAFE1", "Café de la Gare", "Europe/Paris")

    def sale(oid, when):
        return build_order(oid, "LCAFE1", when, [{"uid": f"{oid}-1", "name": "Café", "quantity": "1",
                                                   "unit_gross": 250, "vat": "10"}],
                           [{"id": f"P-{oid}", "type": "CARD", "amount": 250}])

    st.orders += [
        sale("SAT-2330", paris(2026, 3, 28, 23, 30)),  # 22:30Z Saturday → Saturday
        sale("SUN-0030", paris(2026, 3, 29, 0, 30)),  # 23:30Z Saturday → Sunday
        sale("SUN-0330", paris(2026, 3, 29, 3, 30)),  # first hour of summer time (01:30Z)
        sale("SUN-2330", paris(2026, 3, 29, 23, 30)),  # 21:30Z Sunday → Sunday
        sale("MON-0030", paris(2026, 3, 30, 0, 30)),  # 22:30Z Sunday → Monday
    ]
    with serve(create_app(st)) as srv:
        source = SquareSource(tenant(srv.url), policy=FAST, clock=lambda: LATER, event_hooks=hooks)
        try:
            got = {d: sorted(source.fetch(period(source.tenant, d)).sales_lines["order_id"])
                   for d in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30))}
        finally:
            source.close()
    assert got == {
        date(2026, 3, 28): ["SAT-2330"],
        date(2026, 3, 29): ["SUN-0030", "SUN-0330", "SUN-2330"],
        date(2026, 3, 30): ["MON-0030"],
    }
    sunday = [r for r in st.requests if r["path"] == "/v2/refunds"][1]["query"]
    assert (sunday["begin_time"], sunday["end_time"]) == ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z")


def test_each_location_closes_its_day_in_its_own_time_zone(spec_checked):
    """A second location in La Réunion (UTC+4): its 00:30 local sale on the 10th is 20:30Z on the
    9th, still the 10th for that location."""
    hooks, _ = spec_checked
    st = SquareState()
    st.add_location("LPARIS", "Paris", "Europe/Paris")
    st.add_location("LREUNION", "Saint-Denis", "Indian/Reunion")
    reunion = ZoneInfo("Indian/Reunion")
    st.orders += [
        build_order("RUN-1", "LREUNION", datetime(2026, 3, 10, 0, 30, tzinfo=reunion),
                    [{"uid": "r1", "name": "Rhum arrangé", "quantity": "1", "unit_gross": 800, "vat": "20"}],
                    [{"id": "P-RUN", "type": "CASH", "amount": 800}]),
        build_order("PAR-1", "LPARIS", paris(2026, 3, 10, 9, 0),
                    [{"uid": "p1", "name": "Café", "quantity": "1", "unit_gross": 250, "vat": "10"}],
                    [{"id": "P-PAR", "type": "CARD", "amount": 250}]),
    ]
    with serve(create_app(st)) as srv:
        source = SquareSource(tenant(srv.url), policy=FAST, clock=lambda: LATER, event_hooks=hooks)
        try:
            day = source.fetch(period(source.tenant, date(2026, 3, 10)))
            before = source.fetch(period(source.tenant, date(2026, 3, 9)))
        finally:
            source.close()
    # locations come alphabetically (Square's ListLocations order): Paris, then Saint-Denis
    assert rows(day.sales_lines, ["order_id", "location", "gross_cents"]) == [
        ("PAR-1", "LPARIS", 250), ("RUN-1", "LREUNION", 800)]
    assert len(before.sales_lines) == 0
    reunion_search = next(r["body"] for r in st.requests if r["path"] == "/v2/orders/search"
                      and r["body"]["location_ids"] == ["LREUNION"])
    assert reunion_search["query"]["filter"]["date_time_filter"]["closed_at"] == {
        "start_at": "2026-03-09T20:00:00Z", "end_at": "2026-03-10T20:00:00Z"}


def test_day_waits_until_settled_and_while_a_refund_is_pending(spec_checked):
    hooks, _ = spec_checked
    st = hand_computed_state()
    st.refunds.append(build_refund("R-PEND", st.orders[1], 300, paris(2026, 3, 10, 19, 0), status="PENDING"))
    with serve(create_app(st)) as srv:
        early = SquareSource(tenant(srv.url), policy=FAST, event_hooks=hooks,
                             clock=lambda: datetime(2026, 3, 11, 2, 0, tzinfo=UTC))
        waiting = early.fetch(period(early.tenant, date(2026, 3, 10)))
        early.close()
        paths_while_waiting = [r["path"] for r in st.requests]
        late = SquareSource(tenant(srv.url), policy=FAST, event_hooks=hooks, clock=lambda: LATER)
        pending = late.fetch(period(late.tenant, date(2026, 3, 10)))
        late.close()
    assert not waiting.complete
    assert waiting.waiting_reason == ("Square day ends at 2026-03-10T23:00:00+00:00; final 6:00:00 later "
                                      "(offline orders sync late)")
    assert paths_while_waiting == ["/v2/locations"]  # no order read before the day can be final
    assert not pending.complete
    assert pending.waiting_reason == "Square refund(s) still PENDING: R-PEND"


def test_emulator_enforces_square_rules():
    st = hand_computed_state()
    headers = {"Authorization": f"Bearer {st.token}", "Square-Version": "2025-08-20"}
    query = {"filter": {"date_time_filter": {"closed_at": {"start_at": "2026-03-10T00:00:00Z"}}},
             "sort": {"sort_field": "CREATED_AT"}}
    with serve(create_app(st)) as srv, httpx.Client(base_url=srv.url, headers=headers) as http:
        wrong_sort = http.post("/v2/orders/search", json={"location_ids": ["LCAFE1"], "query": query})
        no_auth = http.get("/v2/locations", headers={"Authorization": "Bearer nope"})
        query["sort"]["sort_field"] = "CLOSED_AT"
        first = http.post("/v2/orders/search", json={"location_ids": ["LCAFE1"], "query": query, "limit": 1})
        query["sort"]["sort_order"] = "ASC"  # a different query with the old cursor
        bad_cursor = http.post("/v2/orders/search", json={"location_ids": ["LCAFE1"], "query": query,
                                                          "cursor": first.json()["cursor"]})
        st.fail_next = 1
        throttled = http.get("/v2/locations")
    assert wrong_sort.status_code == 400
    assert wrong_sort.json()["errors"][0] == {
        "category": "INVALID_REQUEST_ERROR", "code": "BAD_REQUEST", "field": "query.sort.sort_field",
        "detail": "The sort_field must match the date_time_filter field: filter on closed_at requires "
                  "sort_field CLOSED_AT, got CREATED_AT."}
    assert no_auth.status_code == 401 and no_auth.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert first.status_code == 200 and [o["id"] for o in first.json()["orders"]] == ["O2"]  # DESC default
    assert bad_cursor.status_code == 400 and bad_cursor.json()["errors"][0]["code"] == "INVALID_CURSOR"
    assert throttled.status_code == 429
    assert throttled.json() == {"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED",
                                            "detail": "Rate limit exceeded."}]}


def test_bad_token_is_a_mapping_error_naming_the_scopes(spec_checked, monkeypatch):
    from core.errors import MappingError

    hooks, _ = spec_checked
    monkeypatch.setenv("SQUARE_TEST_TOKEN", "wrong")
    with serve(create_app(hand_computed_state())) as srv:
        source = SquareSource(tenant(srv.url), policy=FAST, clock=lambda: LATER, event_hooks=hooks)
        with pytest.raises(MappingError, match=r"tenant cafe-square, day 2026-03-10: Square ListLocations: HTTP 401 "
                           r"\(UNAUTHORIZED: This request could not be authorized.\); check the access token"):
            source.fetch(period(source.tenant, date(2026, 3, 10)))
        source.close()
