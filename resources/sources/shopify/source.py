"""``ShopifySource``: one business day of a shop, read over HTTP and parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import source_config, waiting_until_settled
from resources.sources.shopify.client import ShopifyClient
from resources.sources.shopify.parser import parse_shopify_day
from resources.sources.shopify.settings import ShopifyConfig


def _shop_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


class ShopifySource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for a Shopify shop (settings:
    :class:`~resources.sources.shopify.settings.ShopifySettings`)."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *, clock: Callable[[], datetime] | None = None,
                 policy: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None):
        self.tenant = tenant
        config = source_config(tenant, ShopifyConfig)
        settings = config.settings
        self.client = ShopifyClient(
            config.base_url, secret(config.credentials.access_token, tenant=tenant.slug, what="Shopify access token"),
            api_version=settings.api_version, leak_rate=settings.leak_rate, page_limit=settings.page_limit,
            policy=policy, tenant=tenant.slug, transport=transport,
        )
        self.settle = timedelta(minutes=settings.settle_minutes)
        self._clock = clock or (lambda: datetime.now(ZoneInfo("UTC")))
        self._shop: dict | None = None


    def shop_timezone(self) -> ZoneInfo:
        if self._shop is None:
            self._shop = self.client.shop()
        return ZoneInfo(self._shop.get("iana_timezone") or self.tenant.timezone)


    def read(self, period: SalesPeriod) -> SourceDay:
        tz = self.shop_timezone()
        start = datetime.combine(period.start, dtime(0), tz)
        end = datetime.combine(period.end, dtime(0), tz)
        notes = []
        if tz.key != self.tenant.timezone:
            notes.append(f"shop time zone {tz.key} differs from the tenant's {self.tenant.timezone}: "
                         f"the shop's business day is used")
        waiting = waiting_until_settled(self._clock(), end, self.settle, label="the shop's day")
        if waiting is not None:
            waiting.notes = notes
            return waiting
        window = {"processed_at_min": _shop_time(start, tz),
                  "processed_at_max": _shop_time(end - timedelta(seconds=1), tz)}
        orders = self.client.orders(**window)
        tenders = self.client.tender_transactions(**window)
        known = {str(o["id"]) for o in orders}
        refunded_ids = sorted({str(t["order_id"]) for t in tenders
                               if t.get("order_id") and str(t["order_id"]) not in known})
        other_orders = self.client.orders_by_ids(refunded_ids) if refunded_ids else []
        product_ids = {str(li.get("product_id")) for o in [*orders, *other_orders]
                       for li in o.get("line_items") or [] if li.get("product_id")}
        categories = self.client.product_types(product_ids)
        day = parse_shopify_day(
            orders, tenders, start=start, end=end, categories=categories, tenant=self.tenant.slug,
            day=period.key, default_country=self.tenant.country, refund_orders=other_orders,
        )
        day.notes = notes + day.notes + [
            f"{len(orders)} orders, {len(tenders)} tender transactions, {len(other_orders)} earlier orders "
            f"with money moved this day; {self.client.requests_sent} requests, {len(self.client.retries)} retries"
        ]
        day.origin = self.client.api_root
        return day
