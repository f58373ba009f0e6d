"""Lightspeed K-Series Financial API v2 client, on the vendor HTTP base (:mod:`resources.http`)."""

from __future__ import annotations

from datetime import date

import httpx

from resources.http import HeaderToken, RetryPolicy, VendorApi, VendorClient

SALES_DAILY_PATH = "/f/v2/business-location/{location}/sales-daily"
HINTS: dict[str | int, str] = {
    "mapping": "re-authorize the Lightspeed connection (scope financial-api)",
    404: "check source.settings.business_location_ids",
}


class LightspeedClient(VendorApi):
    """``sales-daily`` of one business location and business day (bearer access token)."""

    def __init__(self, base_url: str, token: str, *, tenant: str, policy: RetryPolicy | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.api = VendorClient("Lightspeed", base_url.rstrip("/"), tenant=tenant, auth=HeaderToken(token),
                                policy=policy, hints=HINTS, transport=transport)

    def sales_daily(self, location: str, day: date) -> dict:
        return self.api.get_json(
            SALES_DAILY_PATH.format(location=location), {"date": day.isoformat(), "include": "payments"},
            what=f"Lightspeed sales-daily location {location} {day.isoformat()}",
        )

