"""Business periods of a tenant: a local day, or a calendar month (DESIGN.md §3).

The ``date`` partition key is the tenant's *local business day*; for a monthly tenant the period
of a key is the calendar month starting on it, and only first-of-month keys are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.tenants import TenantConfig


@dataclass(frozen=True)
class SalesPeriod:
    """A tenant's local business period ``[start, end)`` (one day, or one month)."""

    tenant: TenantConfig
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        """The partition key of the period (its first day)."""
        return self.start.isoformat()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tenant.timezone)

    @property
    def start_local(self) -> datetime:
        return datetime.combine(self.start, time(0), self.tz)

    @property
    def end_local(self) -> datetime:
        return datetime.combine(self.end, time(0), self.tz)

    @property
    def start_utc(self) -> datetime:
        return self.start_local.astimezone(ZoneInfo("UTC"))

    @property
    def end_utc(self) -> datetime:
        return self.end_local.astimezone(ZoneInfo("UTC"))

    @property
    def accounting_date(self) -> date:
        """The date of the period's entry in the books: the day, or the month's last day."""
        return self.end - timedelta(days=1)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def contains_local(self, moment: datetime) -> bool:
        """Does an aware timestamp fall in this period, in the tenant's time zone?"""
        return self.start_local <= moment.astimezone(self.tz) < self.end_local



def first_of_next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


class NotAPeriodStart(ValueError):
    """A partition key that starts no period this system posts: a monthly tenant's day that is
    not the first of a month, or a day before the tenant's ``cutover_date``."""


def sales_period(tenant: TenantConfig, key: str) -> SalesPeriod:
    """The business period a partition key stands for, for this tenant."""
    day = date.fromisoformat(key)
    if tenant.cutover_date is not None and day < tenant.cutover_date:
        raise NotAPeriodStart(f"tenant {tenant.slug} switched to this integration on {tenant.cutover_date}: "
                              f"{key} belongs to the previous one and is never posted")
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
    day = max(start, tenant.first_day)
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
    return key.isoformat() if key >= tenant.first_day else None
