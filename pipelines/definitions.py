"""The one ``Definitions`` object of the code location (see workspace.yaml): each domain's
definitions (``pipelines/sales/definitions.py``, ``pipelines/stock/definitions.py``), the
run-failure alerts and the resources."""

from __future__ import annotations

import dagster as dg

from pipelines.alerts import partition_failure_alerts
from pipelines.sales.definitions import all_sales_assets, sales_jobs, sales_schedules, sales_sensors
from pipelines.stock.definitions import stock_assets, stock_jobs, stock_schedules
from resources.pennylane import PennylaneResource
from resources.settings import Settings
from resources.tenants import TenantRegistryResource
from resources.warehouse import WarehouseResource


def build_resources(deployment: str | None = None) -> dict:
    """The resources of a deployment (``DAGSTER_DEPLOYMENT``), picked the way Dagster's examples
    pick them. Settings are ``dg.EnvVar``: the UI shows the variable's name, never its value (the
    warehouse URL holds a password).

    - ``prod``: ``WAREHOUSE_URL`` and ``TENANTS_DIR`` are required; Pennylane at each tenant
      file's ``pennylane.base_url``.
    - ``local`` (default): the warehouse of ``WAREHOUSE_URL`` if set, else SQLite under
      ``DAGSTER_HOME``; the tenants of ``TENANTS_DIR`` or ``./tenants``; Pennylane at
      ``PENNYLANE_BASE_URL`` if set (the emulator), else each tenant file's base URL.
    """
    settings = Settings()
    if (deployment or settings.dagster_deployment) == "prod":
        return {
            "warehouse": WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL")),
            "tenants": TenantRegistryResource(directory=dg.EnvVar("TENANTS_DIR")),
            "pennylane": PennylaneResource(),
        }
    return {
        "warehouse": WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL") if settings.warehouse_url else ""),
        "tenants": TenantRegistryResource(directory=dg.EnvVar("TENANTS_DIR") if settings.tenants_dir else ""),
        "pennylane": PennylaneResource(base_url_override=settings.pennylane_base_url or None),
    }


defs = dg.Definitions(
    assets=[*all_sales_assets, *stock_assets],
    jobs=[*sales_jobs, *stock_jobs],
    schedules=[*sales_schedules, *stock_schedules],
    sensors=[*sales_sensors, partition_failure_alerts],
    resources=build_resources(),
)
