"""``WooCommerceSource``: one business day of a store, read over HTTP and parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.http import RetryPolicy
from resources.settings import secret
from resources.sources.base import ApiSource
from resources.sources.common import source_config, waiting_until_settled
from resources.sources.woocommerce.client import WooCommerceClient
from resources.sources.woocommerce.parser import UTC, parse_woocommerce_day, tax_rate_ids
from resources.sources.woocommerce.settings import WooCommerceConfig


def _gmt_param(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


class WooCommerceSource(ApiSource):
    """:class:`resources.sources.base.SalesSource` for a WooCommerce store (settings:
    :class:`~resources.sources.woocommerce.settings.WooCommerceSettings`)."""

    def __init__(self, tenant: TenantConfig, warehouse: Any = None, *, clock: Callable[[], datetime] | None = None,
                 policy: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None):
        self.tenant = tenant
        config = source_config(tenant, WooCommerceConfig)
        settings, creds = config.settings, config.credentials
        self.client = WooCommerceClient(
            config.base_url, secret(creds.consumer_key, tenant=tenant.slug, what="WooCommerce consumer key"),
            secret(creds.consumer_secret, tenant=tenant.slug, what="WooCommerce consumer secret"),
            query_string_auth=settings.query_string_auth, per_page=settings.per_page, policy=policy,
            tenant=tenant.slug, transport=transport,
        )
        self.settle = timedelta(minutes=settings.settle_minutes)
        self.tip_fee_names = settings.tip_fee_names
        self.book_on = settings.book_on
        self.moment_field = f"date_{settings.book_on}_gmt"
        self._clock = clock or (lambda: datetime.now(UTC))



    def read(self, period: SalesPeriod) -> SourceDay:
        start, end = period.start_utc, period.end_utc
        waiting = waiting_until_settled(self._clock(), period.end_local, self.settle)
        if waiting is not None:
            return waiting
        # One query finds every order that can touch the day: ``modified_after`` (documented: "limit
        # response to resources modified after a given ISO8601 compliant date"; with
        # ``dates_are_gmt=true``, in GMT) the day's start. Paying or completing an order modifies
        # it, so an order created days earlier and paid today is in it, and so is one created
        # today; a refund modifies its order too. The parser books each order on its
        # ``date_paid_gmt`` (or ``date_completed_gmt``) and each refund on its own date. The bound
        # is exclusive on WordPress' side: widened by a second, filtered exactly by the parser.
        modified = self.client.orders(modified_after=_gmt_param(start - timedelta(seconds=1)))
        created = [o for o in modified if o.get(self.moment_field)]
        known = {str(o["id"]) for o in created}
        others = [o for o in modified if str(o["id"]) not in known and o.get("refunds")]
        refunds = {str(o["id"]): self.client.refunds(str(o["id"])) for o in [*created, *others] if o.get("refunds")}
        tax_ids = set().union(*(tax_rate_ids(o) for o in [*created, *others]),
                              *(tax_rate_ids(r) for rs in refunds.values() for r in rs))
        rates = self.client.tax_rates(tax_ids)
        pids = {str(li.get("product_id")) for o in [*created, *others] for li in o.get("line_items") or []}
        pids |= {str(li.get("product_id")) for rs in refunds.values() for r in rs for li in r.get("line_items") or []}
        categories = self.client.product_categories(pids)
        day = parse_woocommerce_day(
            created, refunds, start=start, end=end, rates=rates, categories=categories, tenant=self.tenant.slug,
            day=period.key, default_country=self.tenant.country, refund_orders=others,
            tip_fee_names=self.tip_fee_names, book_on=self.book_on,
        )
        day.notes.append(f"{len(modified)} orders modified since the day began, {len(refunds)} orders with refunds read; "
                         f"{self.client.requests_sent} requests, {len(self.client.retries)} retries")
        day.origin = self.client.api_root
        return day
