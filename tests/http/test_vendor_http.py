"""The vendor HTTP base every client is built on (resources/http), against httpx.MockTransport:
one token refresh after a 401, the status table, Link paging, Retry-After, reads retried and
writes never re-sent once they may have been processed."""

from __future__ import annotations

import httpx
import pytest

from core.errors import MappingError, SourceDataError, SyncError, TransientError
from resources.http import (
    STATUS_CLASSES,
    AmbiguousRequestError,
    HeaderToken,
    RetryPolicy,
    Token,
    TokenAuth,
    VendorClient,
    status_class,
)

POLICY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=30.0)


class Api:
    """A scripted vendor: ``answers`` are served in order (the last one repeats); every request
    is kept."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(handler, **kw) -> tuple[VendorClient, list[float]]:
    slept: list[float] = []
    c = VendorClient("Acme", "https://api.acme.test", tenant="boutique", policy=POLICY,
                     transport=httpx.MockTransport(handler), sleep=slept.append, **kw)
    return c, slept


# ------------------------------------------------------------------------- tokens


class Vendor:
    """A token endpoint handing out tok-1, tok-2, ... and an API accepting only ``valid`` tokens."""

    def __init__(self, valid: set[str], expires_in: int = 3600):
        self.valid = valid
        self.expires_in = expires_in
        self.issued = 0
        self.api_auth: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            assert "authorization" not in request.headers  # the exchange does not use the token
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"tok-{self.issued}", "expires_in": self.expires_in})
        self.api_auth.append(request.headers["authorization"])
        if request.headers["authorization"].removeprefix("Bearer ") in self.valid:
            return httpx.Response(200, json={"items": [1, 2]})
        return httpx.Response(401, json={"error": "invalid_token", "error_description": "Token revoked"})


def token_client(vendor: Vendor, clock=None) -> VendorClient:
    box: dict[str, VendorClient] = {}

    def fetch() -> Token:
        body = box["c"].request("POST", "/token", data={"grant_type": "x"}, idempotent=True,
                                credential_exchange=True, auth=None).json()
        return Token(body["access_token"], body["expires_in"])

    auth = TokenAuth(fetch, clock=clock) if clock else TokenAuth(fetch)
    box["c"], _ = client(vendor, auth=auth, hints={"mapping": "check the API key"})
    return box["c"]


def test_a_401_fetches_a_new_token_once_and_the_request_succeeds():
    vendor = Vendor(valid={"tok-2"})  # tok-1 was revoked after it was issued
    c = token_client(vendor)
    assert c.get_json("/orders") == {"items": [1, 2]}
    assert vendor.api_auth == ["Bearer tok-1", "Bearer tok-2"]
    assert c.http.auth.fetches == 2
    assert c.get_json("/orders") == {"items": [1, 2]}  # the new token is cached
    assert vendor.issued == 2 and vendor.api_auth[-1] == "Bearer tok-2"


def test_a_second_401_is_a_mapping_error_and_nothing_is_tried_a_third_time():
    vendor = Vendor(valid=set())
    c = token_client(vendor)
    with pytest.raises(MappingError) as err:
        c.get_json("/orders")
    assert str(err.value) == ("[mapping] tenant boutique: Acme GET /orders: HTTP 401 (invalid_token: Token revoked); "
                              "check the API key")
    assert vendor.api_auth == ["Bearer tok-1", "Bearer tok-2"] and vendor.issued == 2
    assert c.retries == []  # a 401 is not retried


def test_a_token_is_fetched_again_shortly_before_it_expires():
    now = [0.0]
    vendor = Vendor(valid={"tok-1", "tok-2"}, expires_in=600)
    c = token_client(vendor, clock=lambda: now[0])
    c.get_json("/orders")
    now[0] = 539.0  # 600 s token, renewed 60 s early
    c.get_json("/orders")
    assert vendor.issued == 1
    now[0] = 541.0
    c.get_json("/orders")
    assert vendor.issued == 2 and vendor.api_auth == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_refused_credentials_at_the_token_exchange_are_a_mapping_error_whatever_the_4xx():
    api = Api(httpx.Response(400, json={"error": "invalid_grant", "error_description": "Invalid assertion"}))
    c, _ = client(api)
    with pytest.raises(MappingError, match=r"Acme POST /token: HTTP 400 \(invalid_grant: Invalid assertion\)"):
        c.request("POST", "/token", data={"assertion": "wrong"}, idempotent=True, credential_exchange=True)
    assert status_class(400) == "bug"  # the same 400 on an API call is our request's fault


# ------------------------------------------------------------------- status table


@pytest.mark.parametrize(("status", "error_type", "error_class"), [
    (400, SyncError, "bug"), (401, MappingError, "mapping"), (403, MappingError, "mapping"),
    (404, MappingError, "mapping"), (405, MappingError, "mapping"), (409, SourceDataError, "source"),
    (422, SourceDataError, "source"), (418, SyncError, "bug"), (429, TransientError, "transient"),
    (500, TransientError, "transient"), (503, TransientError, "transient"), (504, TransientError, "transient"),
])
def test_every_error_status_maps_to_one_of_the_four_classes(status, error_type, error_class):
    api = Api(httpx.Response(status, json={"code": "E", "message": "refused"}))
    c, _ = client(api)
    with pytest.raises(SyncError) as err:
        c.get("/orders")
    assert type(err.value) is error_type and err.value.error_class == error_class
    assert err.value.details["status"] == status
    assert str(err.value).startswith(f"[{error_class}] tenant boutique: Acme GET /orders: HTTP {status} (E: refused)")
    # transient statuses were retried until the attempts ran out, the others sent once
    assert len(api.requests) == (POLICY.max_attempts if error_class == "transient" else 1)


def test_the_table_is_the_one_place_that_says_what_a_status_means():
    assert STATUS_CLASSES == {
        400: "bug", 401: "mapping", 403: "mapping", 404: "mapping", 405: "mapping", 408: "transient",
        409: "source", 422: "source", 425: "transient", 429: "transient"}
    assert [status_class(s) for s in (410, 451, 500, 502, 599)] == ["bug", "bug", "transient", "transient", "transient"]


def test_a_status_can_be_let_through_to_the_caller():
    c, _ = client(Api(httpx.Response(404, json={"message": "no such rate"})))
    assert c.get("/taxes/9", allow=frozenset({404})).status_code == 404


# --------------------------------------------------------------------------- paging


def test_link_paging_follows_rel_next_absolute_or_relative_and_sends_filters_once():
    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page_info", "1")
        links = {"1": '<https://api.acme.test/orders.json?page_info=2&limit=2>; rel="next"',
                 "2": '<https://api.acme.test/orders.json?page_info=1>; rel="previous", '
                      '</orders.json?page_info=3&limit=2>; rel="next"',
                 "3": '</orders.json?page_info=2>; rel="previous"'}
        return httpx.Response(200, json={"orders": [f"{page}a", f"{page}b"]}, headers={"link": links[page]})

    seen: list[httpx.Request] = []
    c, _ = client(lambda r: seen.append(r) or handler(r))
    items = [o for body in c.link_pages("/orders.json", {"status": "any", "limit": 2}) for o in body["orders"]]
    assert items == ["1a", "1b", "2a", "2b", "3a", "3b"]
    assert [dict(r.url.params) for r in seen] == [
        {"status": "any", "limit": "2"}, {"page_info": "2", "limit": "2"}, {"page_info": "3", "limit": "2"}]


# --------------------------------------------------------------------------- retries


def test_a_429_waits_what_retry_after_says_then_succeeds():
    api = Api(httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(200, json={"ok": True}))
    c, slept = client(api)
    assert c.get_json("/orders") == {"ok": True}
    assert len(api.requests) == 2 and len(slept) == 1 and 7.0 <= slept[0] <= 7.05
    assert c.retries == [f"Acme GET /orders: HTTP 429, retrying in {slept[0]:.2f}s"]


def test_a_5xx_without_retry_after_backs_off_exponentially_with_jitter():
    api = Api(httpx.Response(502), httpx.Response(503), httpx.Response(500), httpx.Response(200, json={}))
    c, slept = client(api)
    c.get_json("/orders")
    assert len(slept) == 3 and all(0 <= s <= POLICY.base_delay * 2 ** i for i, s in enumerate(slept))


def test_a_read_whose_connection_keeps_failing_is_transient_after_every_attempt():
    api = Api(httpx.ReadTimeout("timed out"))
    c, _ = client(api)
    with pytest.raises(TransientError, match=r"\[transient\] tenant boutique: Acme GET /orders: ReadTimeout"):
        c.get("/orders")
    assert len(api.requests) == POLICY.max_attempts


def test_a_post_answered_503_is_not_sent_again():
    api = Api(httpx.Response(503, json={"message": "busy"}))
    c, slept = client(api)
    response = c.send(c.http.build_request("POST", "/ledger_entries", json={"label": "Ventes"}))
    assert response.status_code == 503 and len(api.requests) == 1 and slept == []
    with pytest.raises(TransientError):  # the table still says transient: the caller decides what follows
        c.request("POST", "/ledger_entries", json={"label": "Ventes"})
    assert len(api.requests) == 2


def test_a_post_whose_answer_was_lost_is_ambiguous_and_sent_once():
    api = Api(httpx.ReadTimeout("timed out"), httpx.Response(201, json={"id": 1}))
    c, _ = client(api)
    with pytest.raises(AmbiguousRequestError, match="ReadTimeout after sending; it may have been processed"):
        c.request("POST", "/ledger_entries", json={"label": "Ventes"})
    assert len(api.requests) == 1


def test_a_post_that_certainly_was_not_processed_is_sent_again():
    api = Api(httpx.ConnectError("refused"), httpx.Response(429, headers={"retry-after": "1"}),
              httpx.Response(201, json={"id": 1}))
    c, slept = client(api)
    assert c.request("POST", "/ledger_entries", json={"label": "Ventes"}).json() == {"id": 1}
    assert len(api.requests) == 3 and len(slept) == 2 and 1.0 <= slept[1] <= 1.05


def test_a_read_only_post_is_retried_like_a_get():
    api = Api(httpx.Response(503), httpx.Response(200, json={"orders": []}))
    c, _ = client(api)
    assert c.request("POST", "/v2/orders/search", json={}, idempotent=True).json() == {"orders": []}
    assert len(api.requests) == 2


# --------------------------------------------------------------------------- hostile answers


@pytest.mark.parametrize("link", [
    "<https://evil.example/orders.json?page_info=2>; rel=\"next\"",
    "<http://api.acme.test/orders.json?page_info=2>; rel=\"next\"",  # https → http: the token in clear
    "<https://api.acme.test:8443/orders.json?page_info=2>; rel=\"next\"",
    "<//evil.example/orders.json?page_info=2>; rel=\"next\"",  # scheme-relative
])
def test_a_next_link_off_the_configured_host_is_a_source_error_and_the_token_never_goes_there(link):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"orders": ["1a"]}, headers={"link": link})

    c = VendorClient("Acme", "https://api.acme.test", tenant="boutique", policy=POLICY,
                     auth=HeaderToken("shpat_SECRET", header="X-Shopify-Access-Token", scheme=None),
                     transport=httpx.MockTransport(handler), sleep=lambda s: None)
    pages = c.link_pages("/orders.json", {"limit": 1})
    assert next(pages) == {"orders": ["1a"]}
    with pytest.raises(SourceDataError) as err:
        next(pages)
    assert err.value.field_name == "Link"
    assert "not the configured https://api.acme.test" in str(err.value)
    assert [r.url.host for r in seen] == ["api.acme.test"]  # one request, to the configured host only


@pytest.mark.parametrize("body, content_type", [
    (b"<html><body>Maintenance</body></html>", "text/html"),
    (b'{"orders": [{"id": 1, "total', "application/json"),  # cut short
])
def test_a_200_whose_body_is_not_json_is_retried_then_a_source_error_naming_the_request(body, content_type):
    api = Api(httpx.Response(200, content=body, headers={"content-type": content_type}))
    c, slept = client(api)
    with pytest.raises(SourceDataError) as err:
        c.get_json("/orders")
    assert len(api.requests) == POLICY.max_attempts and len(slept) == POLICY.max_attempts - 1
    assert err.value.record == "Acme GET /orders" and err.value.field_name == "(response body)"
    assert f"with a body that is not JSON ({content_type}, {len(body)} bytes)" in str(err.value)
    assert b"Maintenance" not in str(err.value).encode()  # the body itself is never echoed


def test_a_200_not_json_once_then_json_is_read_after_one_retry():
    api = Api(httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"}),
              httpx.Response(200, json={"ok": True}))
    c, _ = client(api)
    assert c.get_json("/orders") == {"ok": True}
    assert c.retries == ["Acme GET /orders: with a body that is not JSON (text/html, 6 bytes), retrying in 0.01s"]
