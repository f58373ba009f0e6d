"""Authentication of vendor requests as ``httpx.Auth`` flows.

- :class:`HeaderToken`: a long-lived secret sent in a header on every request (Shopify's
  ``X-Shopify-Access-Token``, Square's, Lightspeed's and Zelty's bearer tokens).
- :class:`TokenAuth`: a token obtained from the vendor (OAuth assertion grant for Zettle,
  ``POST /token`` for Chift) and cached by every thread of the client: fetched when missing or
  about to expire, and fetched again **once** when the API answers 401 (revoked or expired
  early). A second 401 with the new token is returned to the caller, where the status table
  makes it a ``mapping`` error: the credentials themselves are wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx


class HeaderToken(httpx.Auth):
    """Sends ``token`` in ``header`` (``Authorization: Bearer <token>`` by default)."""

    def __init__(self, token: str, *, header: str = "Authorization", scheme: str | None = "Bearer"):
        self._token = token
        self.header = header
        self.scheme = scheme

    def apply(self, request: httpx.Request, token: str) -> None:
        request.headers[self.header] = f"{self.scheme} {token}" if self.scheme else token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.apply(request, self._token)
        yield request


@dataclass(frozen=True)
class Token:
    """A fetched token and its lifetime in seconds (``None``: valid until refused)."""

    value: str
    expires_in: float | None = None


class TokenAuth(HeaderToken):
    """A cached token from ``fetch()``; refreshed ``margin`` seconds before it expires, and once
    after a 401. ``fetch`` sends its own request (with retries) and raises a typed error when
    the vendor refuses the credentials."""

    requires_request_body = False
    requires_response_body = False

    def __init__(self, fetch: Callable[[], Token], *, header: str = "Authorization", scheme: str | None = "Bearer",
                 margin: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__("", header=header, scheme=scheme)
        self._fetch = fetch
        self.margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._expires: float | None = None
        self.fetches = 0

    def token(self, *, stale: str | None = None) -> str:
        """The cached token, unless it expired or is ``stale`` (refused by the API): then a new
        one. A token another thread already renewed is not fetched again."""
        with self._lock:
            fresh = self._expires is None or self._clock() < self._expires
            if self._value is not None and self._value != stale and fresh:
                return self._value
            token = self._fetch()
            self.fetches += 1
            self._value = token.value
            self._expires = (None if token.expires_in is None
                             else self._clock() + max(0.0, token.expires_in - self.margin))
            return self._value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.token()
        self.apply(request, token)
        response = yield request
        if response.status_code == 401:
            self.apply(request, self.token(stale=token))
            yield request
