"""Partitions: ``tenant`` (dynamic, one key per tenant slug) × ``date`` (daily).

The ``date`` key is the tenant's *local business day* (DESIGN.md §3). For a monthly tenant the
period of a partition is the calendar month starting on that key, and only first-of-month keys
are used. The date dimension starts at ``$SALES_PARTITIONS_START`` (default 2025-01-01) — keep it
recent: Dagster recommends ≤ 100k partitions per asset and tenants × days multiplies fast.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import dagster as dg

from resources.sources.base import SalesPeriod
from resources.tenants import TenantConfig

TENANT_DIMENSION = "tenant"
DATE_DIMENSION = "date"
PARTITIONS_START = os.environ.get("SALES_PARTITIONS_START", "2025-01-01")
SCHEDULE_TIMEZONE = "Europe/Paris"

tenant_partitions = dg.DynamicPartitionsDefinition(name=TENANT_DIMENSION)
date_partitions = dg.DailyPartitionsDefinition(
    start_date=PARTITIONS_START, timezone=SCHEDULE_TIMEZONE, end_offset=0
)
tenant_day_partitions = dg.MultiPartitionsDefinition(
    {DATE_DIMENSION: date_partitions, TENANT_DIMENSION: tenant_partitions}
)


def partition_key(tenant: str, day: date | str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({TENANT_DIMENSION: tenant, DATE_DIMENSION: str(day)})


def split_key(key: str | dg.MultiPartitionKey) -> tuple[str, str]:
    """``"2026-11-21|acme"`` → ``("acme", "2026-11-21")``."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims[TENANT_DIMENSION], dims[DATE_DIMENSION]
    # Dimensions are ordered by name in the key string: "<date>|<tenant>".
    day, tenant = str(key).split("|")
    return tenant, day


def first_of_next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


class NotAPeriodStart(ValueError):
    """A monthly tenant's partition key that is not the first day of a month."""


def sales_period(tenant: TenantConfig, key: str) -> SalesPeriod:
    """The business period a partition key stands for, for this tenant."""
    day = date.fromisoformat(key)
    if tenant.frequency == "monthly":
        if day.day != 1:
            raise NotAPeriodStart(
                f"tenant {tenant.slug} is synced monthly: only first-of-month partitions are used, not {key}"
            )
        return SalesPeriod(tenant, day, first_of_next_month(day))
    return SalesPeriod(tenant, day, day + timedelta(days=1))


def period_keys(tenant: TenantConfig, start: date, end: date) -> list[str]:
    """Partition keys of the tenant's periods that start within ``[start, end]``."""
    keys: list[str] = []
    day = max(start, tenant.start_date)
    if tenant.frequency == "monthly":
        day = day if day.day == 1 else first_of_next_month(day)
        while day <= end:
            keys.append(day.isoformat())
            day = first_of_next_month(day)
    else:
        while day <= end:
            keys.append(day.isoformat())
            day += timedelta(days=1)
    return keys


def last_complete_period_key(tenant: TenantConfig, today_local: date) -> str | None:
    """The period a run on ``today_local`` (tenant-local) should post: yesterday, or last month."""
    if tenant.frequency == "monthly":
        if today_local.day != 1:
            return None
        key = (today_local - timedelta(days=1)).replace(day=1)
    else:
        key = today_local - timedelta(days=1)
    return key.isoformat() if key >= tenant.start_date else None
