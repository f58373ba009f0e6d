"""Chift client for one consumer, on the vendor HTTP base (:mod:`resources.http`).

``POST /token`` with the client id, secret and account id gives an access token, cached by
:class:`resources.http.TokenAuth` until shortly before it expires and fetched again once on a
401. Lists are ``ChiftPage``s read page by page; JSON numbers come back as ``Decimal``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from resources.http import RetryPolicy, Token, TokenAuth, VendorApi, VendorClient
from resources.sources.chift.settings import MAX_PAGE_SIZE

HINTS: dict[str | int, str] = {
    "mapping": "check source.credentials (client_id, client_secret, account_id) and source.settings.consumer_id",
    405: "the POS connector behind Chift does not offer this endpoint",
}


class ChiftClient(VendorApi):
    """Authenticated, paginating, retrying access to one Chift consumer."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        account_id: str,
        consumer_id: str,
        connection_id: str | None = None,
        tenant: str | None = None,
        policy: RetryPolicy | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        self.consumer_id = consumer_id
        self._credentials = {"clientId": client_id, "clientSecret": client_secret, "accountId": account_id}
        self.auth = TokenAuth(self._fetch_token)
        self.api = VendorClient(
            "Chift", base_url.rstrip("/"), tenant=tenant, auth=self.auth, policy=policy, hints=HINTS,
            headers={"x-chift-connectionid": connection_id} if connection_id else None, event_hooks=event_hooks,
        )




    def _fetch_token(self) -> Token:
        response = self.api.request("POST", "/token", json=self._credentials, what="Chift POST /token",
                                    idempotent=True, credential_exchange=True, auth=None)
        body = response.json()
        if body.get("expires_on"):  # an absolute Unix time
            return Token(str(body["access_token"]), float(body["expires_on"]) - time.time())
        return Token(str(body["access_token"]), float(body.get("expires_in", 1800)))

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``/consumers/{consumer_id}{path}``; JSON numbers come back as ``Decimal``."""
        full = f"/consumers/{self.consumer_id}{path}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self.api.get_json(full, clean, exact=True, what=f"Chift GET {full}")

    def get_all(self, path: str, params: dict[str, Any] | None = None, *, page_size: int = MAX_PAGE_SIZE) -> list[dict]:
        """Every item of a ``ChiftPage`` list: ``page`` = 1, 2, ... until ``total`` items are read."""
        items: list[dict] = []
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page, "size": page_size})
            batch = body.get("items") or []
            items.extend(batch)
            total = int(body.get("total") or 0)
            if not batch or len(items) >= total:
                return items
            page += 1
