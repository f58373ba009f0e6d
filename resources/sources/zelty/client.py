"""Zelty API 2.10 client, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx

from core.errors import SourceDataError
from resources.http import HeaderToken, RetryPolicy, VendorApi, VendorClient

ORDERS_PAGE = 100
CLOSURES_PAGE = 200  # documented maximum
HINTS = {"mapping": "check the Zelty API key"}


class ZeltyClient(VendorApi):
    """Closures and their orders; lists are paged by ``offset``/``limit`` until a short page. Zelty
    may answer 200 with ``errno`` ≠ 0: the request was refused, a source error naming it."""

    def __init__(self, base_url: str, api_key: str, *, tenant: str, policy: RetryPolicy | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.api = VendorClient("Zelty", base_url.rstrip("/"), tenant=tenant, auth=HeaderToken(api_key),
                                policy=policy, hints=HINTS, transport=transport)


    def _list(self, path: str, params: list[tuple[str, str]], key: str) -> list[dict]:
        body = self.api.get_json(path, params, what=f"Zelty GET {path}")
        if isinstance(body, dict) and body.get("errno", 0) == 0:
            return body.get(key) or []
        errno, detail = (body.get("errno"), body.get("errmsg") or body.get("message")) if isinstance(body, dict) \
            else (None, body)
        raise SourceDataError(f"Zelty GET {path}: HTTP 200 errno {errno}: {detail}")

    def _paged(self, path: str, params: list[tuple[str, str]], key: str, limit: int) -> Iterator[dict]:
        offset = 0
        while True:
            page = self._list(path, [*params, ("limit", str(limit)), ("offset", str(offset))], key)
            yield from page
            if len(page) < limit:
                return
            offset += limit

    def closures(self, day: date, restaurant_ids: list[str]) -> list[dict]:
        params = [("after", (day - timedelta(days=1)).isoformat()), ("before", (day + timedelta(days=1)).isoformat())]
        if restaurant_ids:
            params.append(("restaurant_ids", ",".join(restaurant_ids)))
        found = self._paged("/closures", params, "closures", CLOSURES_PAGE)
        return [c for c in found if c.get("date") == day.isoformat()]

    def orders_of_closure(self, closure_id: Any, day: date) -> list[dict]:
        params = [("from", day.isoformat()), ("to", (day + timedelta(days=1)).isoformat()),
                  ("till_id", str(closure_id)), ("expand[]", "items"), ("expand[]", "transactions"),
                  ("expand[]", "price")]
        return list(self._paged("/orders", params, "orders", ORDERS_PAGE))

