"""Square Connect v2 client for one seller, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from resources.http import HeaderToken, RetryPolicy, VendorApi, VendorClient
from resources.sources.square.parser import rfc3339
from resources.sources.square.settings import DEFAULT_SQUARE_VERSION, SEARCH_LIMIT

REFUNDS_LIMIT = 100  # Square max 100
MAX_ORDERS_PER_BATCH = 100
HINTS = {"mapping": "check the access token and its scopes (ORDERS_READ, PAYMENTS_READ, MERCHANT_PROFILE_READ)"}


class SquareClient(VendorApi):
    """Square's endpoints for one day: locations, orders search, refunds, orders by id. Paging
    re-sends the original query with the returned ``cursor``. ``orders/search`` and
    ``batch-retrieve`` are POSTs that only read: they are retried like GETs."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        version: str = DEFAULT_SQUARE_VERSION,
        policy: RetryPolicy | None = None,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        self.api = VendorClient(
            "Square", base_url.rstrip("/"), tenant=tenant, auth=HeaderToken(token), policy=policy, hints=HINTS,
            headers={"Square-Version": version}, transport=transport, event_hooks=event_hooks,
        )




    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> dict:
        label = f"Square {what}"
        return self.api.decoded(lambda: self.api.request(method, path, what=label, idempotent=True, **kwargs),
                                label)[1]

    def list_locations(self) -> list[dict]:
        return self._call("GET", "/v2/locations", "ListLocations").get("locations") or []

    def search_orders(self, location_ids: list[str], start: datetime, end: datetime,
                      *, limit: int = SEARCH_LIMIT) -> Iterator[dict]:
        """COMPLETED orders closed in ``[start, end]`` (Square: inclusive), oldest first."""
        query = {
            "filter": {
                "state_filter": {"states": ["COMPLETED"]},
                "date_time_filter": {"closed_at": {"start_at": rfc3339(start), "end_at": rfc3339(end)}},
            },
            # Square: sort_field must be the field of the date_time_filter.
            "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
        }
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"location_ids": location_ids, "query": query, "limit": limit}
            if cursor:
                body["cursor"] = cursor
            page = self._call("POST", "/v2/orders/search", "SearchOrders", json=body)
            yield from page.get("orders") or []
            cursor = page.get("cursor")
            if not cursor:
                return

    def list_refunds(self, start: datetime, end: datetime, location_id: str,
                     *, limit: int = REFUNDS_LIMIT) -> Iterator[dict]:
        """Refunds created in ``[start, end]`` at one location, oldest first."""
        params = {"begin_time": rfc3339(start), "end_time": rfc3339(end), "sort_order": "ASC",
                  "location_id": location_id, "limit": str(limit)}
        cursor: str | None = None
        while True:
            p = dict(params, cursor=cursor) if cursor else params
            page = self._call("GET", "/v2/refunds", "ListPaymentRefunds", params=p)
            yield from page.get("refunds") or []
            cursor = page.get("cursor")
            if not cursor:
                return

    def batch_retrieve_orders(self, order_ids: list[str]) -> list[dict]:
        found: list[dict] = []
        for i in range(0, len(order_ids), MAX_ORDERS_PER_BATCH):
            chunk = order_ids[i:i + MAX_ORDERS_PER_BATCH]
            found += self._call("POST", "/v2/orders/batch-retrieve", "BatchRetrieveOrders",
                                json={"order_ids": chunk}).get("orders") or []
        return found
