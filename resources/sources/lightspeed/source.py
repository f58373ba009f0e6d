"""``LightspeedSource``: the merchant's business days of each location, read and parsed."""

from __future__ import annotations

from typing import Any

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import day_errors, source_config
from resources.sources.lightspeed.client import LightspeedClient
from resources.sources.lightspeed.parser import parse_business_days
from resources.sources.lightspeed.settings import LightspeedConfig


class LightspeedSource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for Lightspeed K-Series (settings:
    :class:`~resources.sources.lightspeed.settings.LightspeedSettings`)."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *,
                 transport: httpx.BaseTransport | None = None, policy: RetryPolicy | None = None):
        self.tenant = tenant
        config = source_config(tenant, LightspeedConfig)
        self.locations = config.settings.business_location_ids
        token = secret(config.credentials.access_token, tenant=tenant.slug, what="Lightspeed access token")
        self.base_url = config.base_url
        self.client = LightspeedClient(self.base_url, token, tenant=tenant.slug, policy=policy, transport=transport)

    def read(self, period: SalesPeriod) -> SourceDay:
        responses = []
        for day in period.days():
            for location in self.locations:
                with day_errors(self.tenant.slug, day.isoformat()):
                    payload = self.client.sales_daily(location, day)
                responses.append((day, location, payload))
                if payload.get("dataComplete") is not True:
                    # No point downloading the rest of the period: it will not be posted now.
                    return parse_business_days(responses, tenant=self.tenant, origin=self.base_url)
        return parse_business_days(responses, tenant=self.tenant, origin=self.base_url)

