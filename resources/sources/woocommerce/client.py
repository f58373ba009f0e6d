"""WooCommerce REST API v3 client for one store, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from resources.http import RetryPolicy, VendorApi, VendorClient
from resources.sources.woocommerce.parser import percent
from resources.sources.woocommerce.settings import PER_PAGE

HINTS = {"mapping": "check the consumer key and secret and their read permission"}


class WooCommerceClient(VendorApi):
    """REST v3 client for one store (``base_url`` is the site root, e.g. ``https://shop.example``).

    Auth: the consumer key and secret as HTTP Basic, or as query parameters
    (``query_string_auth``) for servers that strip the Authorization header."""

    def __init__(self, base_url: str, key: str, secret_: str, *, query_string_auth: bool = False,
                 per_page: int = PER_PAGE, policy: RetryPolicy | None = None, tenant: str | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.api_root = f"{base_url.rstrip('/')}/wp-json/wc/v3/"
        self.api = VendorClient(
            "WooCommerce", self.api_root, tenant=tenant, policy=policy, hints=HINTS, transport=transport,
            auth=None if query_string_auth else httpx.BasicAuth(key, secret_),
            params={"consumer_key": key, "consumer_secret": secret_} if query_string_auth else None,
        )
        self.per_page = per_page
        self._rates: dict[str, str | None] = {}
        self._categories: dict[str, str] = {}




    def paginate(self, path: str, params: dict) -> Iterator[dict]:
        """Every item, page by page, until ``X-WP-TotalPages`` (documented as always sent)."""
        page = 1
        while True:
            query = {**params, "per_page": self.per_page, "page": page}
            response, body = self.api.decoded(functools.partial(self.api.get, path, query), f"WooCommerce GET {path}")
            yield from body
            total_pages = int(response.headers.get("x-wp-totalpages", "1") or 1)
            if page >= total_pages:
                return
            page += 1

    def orders(self, **params: Any) -> list[dict]:
        return list(self.paginate("orders", {"status": "any", "dates_are_gmt": "true", "orderby": "date",
                                             "order": "asc", **params}))

    def refunds(self, order_id: str) -> list[dict]:
        return list(self.paginate(f"orders/{order_id}/refunds", {}))

    def tax_rates(self, ids: Iterable[str]) -> dict[str, str]:
        """rate id → percent; each id fetched once (cached); a deleted rate maps to nothing."""
        for rid in sorted({str(i) for i in ids} - set(self._rates)):
            response = self.api.get(f"taxes/{rid}", allow=frozenset({404}))
            self._rates[rid] = None if response.status_code == 404 else percent(response.json()["rate"])
        return {k: v for k, v in self._rates.items() if v is not None}

    def product_categories(self, ids: Iterable[str]) -> dict[str, str]:
        """product id → first category name (cached); fetched ``include``-batched."""
        missing = sorted({str(i) for i in ids if i and str(i) != "0"} - set(self._categories))
        for i in range(0, len(missing), self.per_page):
            chunk = missing[i : i + self.per_page]
            for product in self.paginate("products", {"include": ",".join(chunk)}):
                cats = product.get("categories") or []
                self._categories[str(product["id"])] = (cats[0].get("name") or "") if cats else ""
            for pid in chunk:
                self._categories.setdefault(pid, "")
        return dict(self._categories)
