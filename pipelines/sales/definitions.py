"""Sales definitions for ``pipelines/definitions.py``: the daily tenant-day assets (their checks
are declared on the assets) and the monthly reconciliation, their jobs, schedules and sensors."""

from pipelines.sales.assets import sales_assets, sales_job
from pipelines.sales.automation import (
    daily_sales_schedule,
    tenant_registry_sensor,
    toporder_inbox_sensor,
    waiting_days_sensor,
)
from pipelines.sales.reconciliation import (
    monthly_reconciliation_schedule,
    reconciliation_job,
    sales_reconciliation,
)

all_sales_assets = [*sales_assets, sales_reconciliation]
sales_jobs = [sales_job, reconciliation_job]
sales_schedules = [daily_sales_schedule, monthly_reconciliation_schedule]
sales_sensors = [tenant_registry_sensor, waiting_days_sensor, toporder_inbox_sensor]

__all__ = ["all_sales_assets", "sales_assets", "sales_jobs", "sales_schedules", "sales_sensors"]
