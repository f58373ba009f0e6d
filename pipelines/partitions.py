"""Partitions: ``tenant`` (dynamic, one key per tenant slug) × ``date`` (daily).

The ``date`` key is the tenant's *local business day* (DESIGN.md §3). For a monthly tenant the
period of a partition is the calendar month starting on that key, and only first-of-month keys
are used. The date dimension starts at ``$SALES_PARTITIONS_START`` (default 2025-01-01) — keep it
recent: Dagster recommends ≤ 100k partitions per asset and tenants × days multiplies fast.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from core.periods import (  # noqa: F401  (re-exported: the partition keys' periods)
    NotAPeriodStart,
    first_of_next_month,
    last_complete_period_key,
    period_keys,
    sales_period,
)
from resources.settings import Settings

TENANT_DIMENSION = "tenant"
DATE_DIMENSION = "date"
PARTITIONS_START = Settings().sales_partitions_start
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
