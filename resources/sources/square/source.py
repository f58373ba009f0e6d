"""``SquareSource``: one business day of a seller's locations, read over HTTP and parsed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from core.errors import MappingError, SourceDataError
from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import source_config, waiting_until_settled
from resources.sources.square.client import SquareClient
from resources.sources.square.parser import ParseContext, parse_day, timestamp_of
from resources.sources.square.settings import SquareConfig

MAX_LOCATIONS_PER_SEARCH = 10


@dataclass
class _Window:
    tz: ZoneInfo
    start: datetime  # aware UTC
    end: datetime  # aware UTC, exclusive
    location_ids: list[str] = field(default_factory=list)


class SquareSource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for Square (settings:
    :class:`~resources.sources.square.settings.SquareSettings`)."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: Any = None,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        self.tenant = tenant
        config = source_config(tenant, SquareConfig)
        settings = config.settings
        self.settle = timedelta(hours=settings.settle_hours)
        self.page_limit = settings.page_limit
        self.location_ids = settings.location_ids
        self.clock = clock or (lambda: datetime.now(UTC))
        self.client = SquareClient(
            config.base_url, secret(config.credentials.access_token, tenant=tenant.slug, what="Square access token"),
            version=settings.square_version, policy=policy, tenant=tenant.slug, transport=transport,
            event_hooks=event_hooks,
        )
        self._locations: list[dict] | None = None


    def locations(self) -> list[dict]:
        """The tenant's locations (fetched once): the configured ids, else every ACTIVE one."""
        if self._locations is None:
            every = self.client.list_locations()
            if self.location_ids:
                by_id = {loc.get("id"): loc for loc in every}
                missing = [i for i in self.location_ids if i not in by_id]
                if missing:
                    raise MappingError(f"Square location(s) {missing} not found for this access token",
                                       tenant=self.tenant.slug, field_name="source.settings.location_ids")
                self._locations = [by_id[i] for i in self.location_ids]
            else:
                self._locations = [loc for loc in every if loc.get("status", "ACTIVE") == "ACTIVE"]
        return self._locations

    def _windows(self, period: SalesPeriod) -> list[_Window]:
        """One UTC window per distinct location time zone: the business day is the location's."""
        by_tz: dict[str, _Window] = {}
        for loc in self.locations():
            tz_name = loc.get("timezone") or self.tenant.timezone
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise SourceDataError(f"unknown time zone {tz_name!r}", tenant=self.tenant.slug,
                                      day=period.key, record=loc.get("id"), field_name="timezone") from exc
            if tz_name not in by_tz:
                start = datetime.combine(period.start, datetime.min.time(), tz).astimezone(UTC)
                end = datetime.combine(period.end, datetime.min.time(), tz).astimezone(UTC)
                by_tz[tz_name] = _Window(tz, start, end)
            by_tz[tz_name].location_ids.append(str(loc["id"]))
        return list(by_tz.values())


    def read(self, period: SalesPeriod) -> SourceDay:
        windows = self._windows(period)
        if not windows:
            return SourceDay(complete=True, notes=["no active Square location"], origin=self.client.base_url)
        waiting = waiting_until_settled(self.clock(), max(w.end for w in windows), self.settle, label="Square day",
                                        why="offline orders sync late")
        if waiting is not None:
            return waiting
        ctx = ParseContext(self.tenant.slug, period.key, self.tenant.currency, self.tenant.country)
        orders: list[dict] = []
        refunds: list[dict] = []
        for w in windows:
            for i in range(0, len(w.location_ids), MAX_LOCATIONS_PER_SEARCH):
                ids = w.location_ids[i:i + MAX_LOCATIONS_PER_SEARCH]
                for order in self.client.search_orders(ids, w.start, w.end, limit=self.page_limit):
                    if w.start <= timestamp_of(ctx, order, "closed_at") < w.end:
                        orders.append(order)
            for loc_id in w.location_ids:
                for refund in self.client.list_refunds(w.start, w.end, loc_id):
                    if w.start <= timestamp_of(ctx, refund, "created_at") < w.end:
                        refunds.append(refund)
        pending = [r["id"] for r in refunds if r.get("status") == "PENDING"]
        if pending:
            return SourceDay(complete=False, waiting_reason=f"Square refund(s) still PENDING: {', '.join(pending)}")
        booked = [r for r in refunds if r.get("status") == "COMPLETED"]
        in_day = {o["id"]: o for o in orders}
        wanted = sorted({str(r.get("order_id")) for r in booked if r.get("order_id")} - set(in_day))
        refund_orders = dict(in_day)
        if wanted:
            refund_orders.update({o["id"]: o for o in self.client.batch_retrieve_orders(wanted)})
        result = parse_day(ctx, orders, booked, refund_orders)
        skipped = len(refunds) - len(booked)
        if skipped:
            result.notes.append(f"{skipped} refund(s) REJECTED/FAILED ignored")
        if self.client.retries:
            result.notes.append(f"{len(self.client.retries)} retried request(s)")
        result.origin = self.client.base_url
        return result
