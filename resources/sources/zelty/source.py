"""``ZeltySource``: a restaurant's business day is its till closures and their orders."""

from __future__ import annotations

from typing import Any

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import day_errors, merge_days, source_config
from resources.sources.zelty.client import ZeltyClient
from resources.sources.zelty.parser import parse_closure_day
from resources.sources.zelty.settings import ZeltyConfig


class ZeltySource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for Zelty (settings:
    :class:`~resources.sources.zelty.settings.ZeltySettings`)."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *,
                 transport: httpx.BaseTransport | None = None, policy: RetryPolicy | None = None):
        self.tenant = tenant
        config = source_config(tenant, ZeltyConfig)
        self.restaurant_ids = config.settings.restaurant_ids
        self.base_url = config.base_url
        self.client = ZeltyClient(self.base_url, secret(config.credentials.api_key, tenant=tenant.slug,
                                                        what="Zelty API key"),
                                  tenant=tenant.slug, policy=policy, transport=transport)

    def read(self, period: SalesPeriod) -> SourceDay:
        days: list[SourceDay] = []
        for day in period.days():
            with day_errors(self.tenant.slug, day.isoformat()):
                closures = self.client.closures(day, self.restaurant_ids)
                have = {str(c.get("id_restaurant")) for c in closures}
                missing = [r for r in self.restaurant_ids if r not in have]
                if missing or not closures:
                    who = f"restaurant(s) {', '.join(missing)}" if missing else "any restaurant"
                    return SourceDay(complete=False, origin=self.base_url,
                                     waiting_reason=f"no Zelty closure yet for {day.isoformat()} for {who}")
                pairs = [(c, self.client.orders_of_closure(c["id"], day)) for c in closures]
                days.append(parse_closure_day(pairs, tenant=self.tenant, day=day, origin=self.base_url))
        return merge_days(days, origin=self.base_url)

