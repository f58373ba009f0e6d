from datetime import date

import pytest

from core.periods import NotAPeriodStart, last_complete_period_key, period_keys, sales_period
from pipelines.partitions import split_key
from resources.tenants import TenantConfig
from tests.pipeline.tenant_files import tenant_doc


def tenant(**over) -> TenantConfig:
    return TenantConfig.model_validate(tenant_doc("acme", **over))


def test_daily_period_is_the_local_business_day_in_utc():
    period = sales_period(tenant(timezone="Europe/Paris"), "2026-03-29")  # DST starts that night
    assert (period.start, period.end) == (date(2026, 3, 29), date(2026, 3, 30))
    assert period.start_utc.isoformat() == "2026-03-28T23:00:00+00:00"
    assert period.end_utc.isoformat() == "2026-03-29T22:00:00+00:00"  # a 23-hour day


def test_monthly_period_covers_the_calendar_month_and_refuses_other_days():
    t = tenant(frequency="monthly")
    period = sales_period(t, "2026-02-01")
    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 3, 1))
    with pytest.raises(NotAPeriodStart, match="only first-of-month partitions"):
        sales_period(t, "2026-02-14")


def test_period_keys_start_at_the_tenant_start_date():
    t = tenant(start_date="2026-11-19")
    assert period_keys(t, date(2026, 11, 1), date(2026, 11, 21)) == ["2026-11-19", "2026-11-20", "2026-11-21"]
    m = tenant(start_date="2026-09-15", frequency="monthly")
    assert period_keys(m, date(2026, 9, 1), date(2026, 11, 21)) == ["2026-10-01", "2026-11-01"]


def test_the_run_of_a_day_posts_yesterday_or_last_month():
    assert last_complete_period_key(tenant(), date(2026, 11, 22)) == "2026-11-21"
    assert last_complete_period_key(tenant(start_date="2026-11-22"), date(2026, 11, 22)) is None
    m = tenant(frequency="monthly", start_date="2026-01-01")
    assert last_complete_period_key(m, date(2026, 11, 1)) == "2026-10-01"
    assert last_complete_period_key(m, date(2026, 11, 2)) is None


def test_split_key_reads_dagster_multi_partition_keys():
    assert split_key("2026-11-21|acme") == ("acme", "2026-11-21")
