"""Hiboutik API v2 client for one account, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx

from core.errors import SourceDataError
from resources.http import RetryPolicy, VendorApi, VendorClient

HINTS = {"mapping": "check the Hiboutik user and API key"}


class HiboutikClient(VendorApi):
    """Lists are paged with the ``Link`` header (``<…?p=2>; rel="next"``), as the vendor PHP client
    (``hiboutik/hiboutikapi`` ``HiboutikAPI::pagination``) reads it. Auth: HTTP basic."""

    def __init__(self, base_url: str, user: str, api_key: str, *, tenant: str,
                 policy: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None):
        self.api = VendorClient("Hiboutik", base_url.rstrip("/"), tenant=tenant, auth=httpx.BasicAuth(user, api_key),
                                policy=policy, hints=HINTS, transport=transport)


    def _items(self, path: str) -> Iterator[dict]:
        for body in self.api.link_pages(path):
            yield from body or []

    def closed_sales(self, store_id: str, day: date) -> list[dict]:
        return list(self._items(f"/closed_sales/{store_id}/{day:%Y}/{day:%m}/{day:%d}"))

    def open_sales(self, store_id: str) -> list[dict]:
        return list(self._items(f"/open_sales/{store_id}"))

    def sale(self, sale_id: str) -> dict:
        body = self.api.get_json(f"/sales/{sale_id}")
        sale = body[0] if isinstance(body, list) and body else body
        if not isinstance(sale, dict) or not sale:
            raise SourceDataError(f"GET /sales/{sale_id} returned no sale", record=str(sale_id))
        return sale

    def categories(self) -> dict[str, str]:
        return {str(c["category_id"]): str(c.get("category_name") or "") for c in self._items("/categories")}

