"""Shopify Admin REST client for one shop, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from resources.http import HeaderToken, RetryPolicy, VendorApi, VendorClient
from resources.sources.shopify.settings import API_VERSION, PAGE_LIMIT

HINTS = {"mapping": "check the shop's access token and its scopes (read_orders, read_products)"}


class CallLimitPacer:
    """Client-side pacing from ``X-Shopify-Shop-Api-Call-Limit: used/size`` (leaky bucket).

    Shopify leaks ``leak_rate`` requests per second (2 on Standard plans). When the bucket is
    fuller than ``size - headroom``, wait until it has leaked back down, instead of hitting 429.
    """

    def __init__(self, leak_rate: float = 2.0, headroom: int = 4, sleep: Callable[[float], None] = time.sleep):
        self.leak_rate = leak_rate
        self.headroom = headroom
        self._sleep = sleep
        self._lock = threading.Lock()
        self._wait_until = 0.0
        self.waited = 0.0

    def observe(self, response: httpx.Response) -> None:
        header = response.headers.get("x-shopify-shop-api-call-limit")
        if not header or "/" not in header:
            return
        try:
            used, size = (int(x) for x in header.split("/", 1))
        except ValueError:
            return
        excess = max(0, used - (size - self.headroom))
        with self._lock:  # the latest header is the bucket's truth
            self._wait_until = time.monotonic() + excess / self.leak_rate

    def before(self, _request: httpx.Request | None = None) -> None:
        with self._lock:
            delay = self._wait_until - time.monotonic()
        if delay > 0:
            self.waited += delay
            self._sleep(delay)


class ShopifyClient(VendorApi):
    """The Admin REST API of one shop (``base_url`` is ``https://{shop}.myshopify.com``); every
    request, retries included, is paced by :class:`CallLimitPacer`."""

    def __init__(
        self, base_url: str, token: str, *, api_version: str = API_VERSION, leak_rate: float = 2.0,
        page_limit: int = PAGE_LIMIT, policy: RetryPolicy | None = None, tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.api_root = f"{base_url.rstrip('/')}/admin/api/{api_version}/"
        self.pacer = CallLimitPacer(leak_rate=leak_rate)
        self.api = VendorClient(
            "Shopify", self.api_root, tenant=tenant, policy=policy, hints=HINTS, transport=transport,
            auth=HeaderToken(token, header="X-Shopify-Access-Token", scheme=None),
            event_hooks={"request": [self.pacer.before], "response": [self.pacer.observe]},
        )
        self.page_limit = page_limit
        self._product_types: dict[str, str] = {}




    def paginate(self, resource: str, params: dict) -> Iterator[dict]:
        """Every item of ``{resource}.json``, following ``Link`` rel="next" (page_info cursors:
        the next URL carries page_info and limit; filters must not be repeated)."""
        for body in self.api.link_pages(f"{resource}.json", {**params, "limit": self.page_limit}):
            yield from body.get(resource, [])

    def shop(self) -> dict:
        return self.api.get_json("shop.json")["shop"]

    def orders(self, **params: Any) -> list[dict]:
        return list(self.paginate("orders", {"status": "any", **params}))

    def orders_by_ids(self, ids: list[str]) -> list[dict]:
        out: list[dict] = []
        for i in range(0, len(ids), PAGE_LIMIT):
            out += self.orders(ids=",".join(ids[i : i + PAGE_LIMIT]))
        return out

    def tender_transactions(self, **params: Any) -> list[dict]:
        return list(self.paginate("tender_transactions", {"order": "processed_at ASC", **params}))

    def product_types(self, product_ids: Iterable[str]) -> dict[str, str]:
        """product id → product_type; each product is fetched once per client (cached)."""
        missing = sorted({p for p in product_ids if p and p not in self._product_types})
        for i in range(0, len(missing), PAGE_LIMIT):
            chunk = missing[i : i + PAGE_LIMIT]
            for product in self.paginate("products", {"ids": ",".join(chunk), "fields": "id,product_type"}):
                self._product_types[str(product["id"])] = product.get("product_type") or ""
            for pid in chunk:
                self._product_types.setdefault(pid, "")  # deleted product: no category
        return {p: self._product_types.get(p, "") for p in product_ids if p}
