"""``ChiftSource``: one business day of a Chift consumer's locations, read and parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import MappingError, SourceDataError
from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.chift.client import ChiftClient
from resources.sources.chift.parser import ChiftReference, merge_closure_rows, parse_closure, parse_orders
from resources.sources.chift.settings import ChiftConfig
from resources.sources.common import source_config


class ChiftSource(ApiSource):
    """``SalesSource`` for a tenant whose POS is reached through Chift."""

    def __init__(
        self,
        tenant: TenantConfig,
        warehouse: object | None = None,
        *,
        policy: RetryPolicy | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
    ):
        """``warehouse`` is accepted for the common source signature and unused (Chift is
        stateless for us); ``event_hooks`` are passed to httpx (tests record requests)."""
        config = source_config(tenant, ChiftConfig)
        settings = config.settings
        self.tenant = tenant
        creds = {name: secret(env, tenant=tenant.slug, what=f"Chift {name}")
                 for name, env in config.credentials.model_dump().items()}
        self.location_ids = settings.location_ids or None
        self.require_closed_closure = settings.require_closed_closure
        self.page_size = settings.page_size
        self.client = ChiftClient(
            config.base_url, consumer_id=settings.consumer_id, connection_id=settings.connection_id,
            tenant=tenant.slug, policy=policy, event_hooks=event_hooks, **creds)


    def _reference(self) -> tuple[ChiftReference, list[str]]:
        c = self.client
        locations = c.get_all("/pos/locations", page_size=self.page_size)
        tz = {}
        for loc in locations:
            zone = loc.get("timezone") or self.tenant.timezone
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SourceDataError(f"unknown time zone {zone!r}", tenant=self.tenant.slug,
                                      record=f"location {loc.get('id')}", field_name="timezone") from None
            tz[str(loc["id"])] = zone
        wanted = self.location_ids or sorted(tz)
        missing = [x for x in wanted if x not in tz]
        if missing:
            raise MappingError(f"source.settings.location_ids {missing} are not locations of this Chift "
                               f"consumer (known: {sorted(tz)})", tenant=self.tenant.slug)
        ref = ChiftReference(location_tz=tz)
        for pm in c.get_all("/pos/payment-methods", page_size=self.page_size):
            ref.payment_methods[str(pm["id"])] = pm
        for cat in c.get_all("/pos/product-categories", page_size=self.page_size):
            ref.categories[str(cat["id"])] = str(cat.get("name") or cat["id"])
        for cat in c.get_all("/pos/accounting-categories", page_size=self.page_size):
            ref.categories[str(cat["id"])] = str(cat.get("name") or cat["id"])
        return ref, wanted


    def read(self, period: SalesPeriod) -> SourceDay:
        ref, locations = self._reference()
        notes: list[str] = []
        closure_rows: list[dict] = []
        waiting: list[str] = []
        for loc in locations:
            for day in period.days():
                closure = self.client.get(f"/pos/closures/{day.isoformat()}", {"location_id": loc})
                status = closure.get("status")
                if status != "closed":
                    waiting.append(f"{loc} {day.isoformat()} ({status or 'no status'})")
                    continue
                if not closure.get("closures"):
                    notes.append(f"closure of {loc} on {day} is closed but has no totals")
                closure_rows.extend(parse_closure(closure, location=loc, ref=ref))
        if waiting and self.require_closed_closure:
            return SourceDay(complete=False, origin=self._origin(),
                             waiting_reason="Chift closure not closed yet for " + ", ".join(waiting))
        if waiting:
            notes.append("closure not closed (require_closed_closure is off): " + ", ".join(waiting))
        # The spec gives no time basis for date_from/date_to: ask one day wider on both sides
        # and keep what falls in each location's local business day.
        first, last = chift_day_bounds(period)
        date_from, date_to = first.isoformat(), last.isoformat()
        all_lines: list[dict] = []
        all_payments: list[dict] = []
        extra = self.client.get_all("/pos/payments", {"date_from": date_from, "date_to": date_to},
                                    page_size=self.page_size)
        for loc in locations:
            orders = self.client.get_all(
                "/pos/orders",
                {"date_from": date_from, "date_to": date_to, "location_id": loc, "state": "closed"},
                page_size=self.page_size)
            lines, payments = parse_orders(orders, ref=ref, period=period, extra_payments=extra,
                                           default_location=loc, notes=notes)
            all_lines.extend(lines)
            all_payments.extend(payments)
        return SourceDay(
            sales_lines=make_frame(all_lines, SALES_LINE_COLUMNS),
            payments=make_frame(all_payments, PAYMENT_COLUMNS),
            closure_totals=make_frame(merge_closure_rows(closure_rows), CLOSURE_COLUMNS),
            complete=True, notes=notes, origin=self._origin(),
        )

    def _origin(self) -> str:
        return f"{self.client.base_url}/consumers/{self.client.consumer_id}/pos"


def chift_day_bounds(period: SalesPeriod) -> tuple[date, date]:
    """The inclusive ``date_from``/``date_to`` the source asks for: one day of margin each side
    (``period.end`` is exclusive, so it already is the day after the last one)."""
    return period.start - timedelta(days=1), period.end
