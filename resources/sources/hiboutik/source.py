"""``HiboutikSource``: the closed sales of one store per business day, read and parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import day_errors, merge_days, source_config
from resources.sources.hiboutik.client import HiboutikClient
from resources.sources.hiboutik.parser import open_sales_of_day, parse_day
from resources.sources.hiboutik.settings import HiboutikConfig


class HiboutikSource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for Hiboutik (settings:
    :class:`~resources.sources.hiboutik.settings.HiboutikSettings`)."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *,
                 transport: httpx.BaseTransport | None = None, policy: RetryPolicy | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.tenant = tenant
        config = source_config(tenant, HiboutikConfig)
        self.store_id = config.settings.store_id
        self.tip_skus = config.settings.tip_skus
        self.base_url = config.api_url
        creds = config.credentials
        self.client = HiboutikClient(
            self.base_url, secret(creds.user, tenant=tenant.slug, what="Hiboutik user"),
            secret(creds.api_key, tenant=tenant.slug, what="Hiboutik API key"),
            tenant=tenant.slug, policy=policy, transport=transport)
        self._clock = clock or (lambda: datetime.now().astimezone())
        self._categories: dict[str, str] | None = None


    def read(self, period: SalesPeriod) -> SourceDay:
        now = self._clock().astimezone(period.tz)
        if now < period.end_local:
            return SourceDay(complete=False, origin=self.base_url,
                             waiting_reason=f"the business day is not over in {self.tenant.timezone} "
                                            f"(until {period.end_local.isoformat()})")
        days = period.days()
        listing = self.client.open_sales(self.store_id)
        still_open = [sid for d in days for sid in open_sales_of_day(listing, d)]
        if still_open:
            return SourceDay(complete=False, origin=self.base_url,
                             waiting_reason=f"{len(still_open)} sale(s) created that day are still open at the "
                                            f"till of store {self.store_id}: {', '.join(still_open[:10])}")
        if self._categories is None:
            self._categories = self.client.categories()
        parsed = []
        for day in days:
            with day_errors(self.tenant.slug, day.isoformat()):
                details = [summary if "line_items" in summary else self.client.sale(str(summary["sale_id"]))
                           for summary in self.client.closed_sales(self.store_id, day)]
                parsed.append(parse_day(details, categories=self._categories, tenant=self.tenant, day=day,
                                        tip_skus=self.tip_skus, origin=self.base_url))
        return merge_days(parsed, origin=self.base_url)

