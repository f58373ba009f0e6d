"""The one ``Definitions`` object of the code location (see workspace.yaml)."""

from __future__ import annotations

import os

import dagster as dg

from pipelines.alerts import partition_failure_alerts
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
from pipelines.stock.definitions import stock_assets, stock_jobs, stock_schedules
from resources.pennylane import PennylaneResource
from resources.tenants import TenantRegistryResource
from resources.warehouse import WarehouseResource


def build_resources() -> dict:
    """Resources read their settings from the environment at launch (``EnvVar``-style): the
    warehouse URL (``WAREHOUSE_URL``), the tenants directory (``TENANTS_DIR``) and an optional
    Pennylane base-URL override (``PENNYLANE_BASE_URL``, for staging or the emulator)."""
    return {
        "warehouse": WarehouseResource(url=os.environ.get("WAREHOUSE_URL", "")),
        "tenants": TenantRegistryResource(directory=os.environ.get("TENANTS_DIR", "")),
        "pennylane": PennylaneResource(base_url_override=os.environ.get("PENNYLANE_BASE_URL", "")),
    }


defs = dg.Definitions(
    assets=[*sales_assets, sales_reconciliation, *stock_assets],
    jobs=[sales_job, reconciliation_job, *stock_jobs],
    schedules=[daily_sales_schedule, monthly_reconciliation_schedule, *stock_schedules],
    sensors=[tenant_registry_sensor, waiting_days_sensor, toporder_inbox_sensor, partition_failure_alerts],
    resources=build_resources(),
)
