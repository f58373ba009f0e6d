"""Zettle Purchase API v2 client, on the vendor HTTP base (:mod:`resources.http`).

Auth is the OAuth *assertion grant* for self-hosted apps: ``POST {oauth}/token`` with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``client_id`` and ``assertion=<API
key>`` gives an ``access_token`` (7200 s), cached by :class:`resources.http.TokenAuth` until
shortly before it expires and fetched again once on a 401.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from resources.http import RetryPolicy, Token, TokenAuth, VendorApi, VendorClient
from resources.sources.zettle.settings import MAX_LIMIT

ASSERTION_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
HINTS = {"mapping": "check the client id and API key (assertion), and that the key has the READ:PURCHASE scope"}


class ZettleClient(VendorApi):
    """Assertion-grant token + Purchase API v2 paging."""

    def __init__(
        self,
        base_url: str,
        oauth_url: str,
        client_id: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.oauth_url = oauth_url.rstrip("/")
        self._grant = {"grant_type": ASSERTION_GRANT, "client_id": client_id, "assertion": api_key}
        self.auth = TokenAuth(self._fetch_token, clock=monotonic)
        self.api = VendorClient("Zettle", base_url.rstrip("/"), tenant=tenant, auth=self.auth, policy=policy,
                                hints=HINTS, transport=transport)


    @property
    def token_requests(self) -> int:
        return self.auth.fetches



    def _fetch_token(self) -> Token:
        response = self.api.request("POST", f"{self.oauth_url}/token", data=self._grant, what="Zettle token",
                                    idempotent=True, credential_exchange=True, auth=None)
        body = response.json()
        return Token(str(body["access_token"]), float(body.get("expires_in", 7200)))

    def purchases(self, start: datetime, end: datetime, *, limit: int = MAX_LIMIT) -> Iterator[dict]:
        """Purchases with ``start <= timestamp < end`` (UTC, minute precision), oldest first.
        Paging passes back ``lastPurchaseHash`` with the same other parameters until a page comes
        back empty."""
        params = {"startDate": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
                  "endDate": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
                  "limit": str(limit), "descending": "false"}
        last_hash: str | None = None
        while True:
            page = self.api.get_json("/purchases/v2", dict(params, lastPurchaseHash=last_hash) if last_hash else params,
                                     what="Zettle purchases")
            purchases = page.get("purchases") or []
            if not purchases:
                return
            yield from purchases
            last_hash = page.get("lastPurchaseHash")
            if not last_hash:
                return
