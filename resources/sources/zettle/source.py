"""``ZettleSource``: one business day of purchases, read over HTTP and parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import source_config, waiting_until_settled
from resources.sources.zettle.client import ZettleClient
from resources.sources.zettle.parser import parse_context, parse_purchases, parse_timestamp
from resources.sources.zettle.settings import ZettleConfig


class ZettleSource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for Zettle (settings:
    :class:`~resources.sources.zettle.settings.ZettleSettings`)."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: Any = None,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.tenant = tenant
        config = source_config(tenant, ZettleConfig)
        settings, creds = config.settings, config.credentials
        self.page_limit = settings.page_limit
        self.settle = timedelta(hours=settings.settle_hours)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.location = settings.location
        self.client = ZettleClient(
            config.base_url, settings.oauth_base_url,
            secret(creds.client_id, tenant=tenant.slug, what="Zettle client id"),
            secret(creds.api_key, tenant=tenant.slug, what="Zettle API key"),
            policy=policy, tenant=tenant.slug, transport=transport,
        )



    def read(self, period: SalesPeriod) -> SourceDay:
        start, end = period.start_utc, period.end_utc
        waiting = waiting_until_settled(self.clock(), end, self.settle, label="Zettle day",
                                        why="card readers sync late")
        if waiting is not None:
            return waiting
        ctx = parse_context(self.tenant, period.key)
        purchases = []
        for purchase in self.client.purchases(start, end, limit=self.page_limit):
            stamp = purchase.get("timestamp") or purchase.get("created")
            try:
                moment = parse_timestamp(str(stamp))
            except ValueError as exc:
                raise ctx.error(f"timestamp {stamp!r} is not ISO 8601",
                                str(purchase.get("purchaseUUID1")), "timestamp") from exc
            if start <= moment < end:
                purchases.append(purchase)
        day = parse_purchases(ctx, purchases)
        if self.location:
            day.sales_lines["location"] = self.location
            day.payments["location"] = self.location
        if self.client.retries:
            day.notes.append(f"{len(self.client.retries)} retried request(s)")
        day.origin = self.client.base_url
        return day
