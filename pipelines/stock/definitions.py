"""Stock definitions for ``pipelines/definitions.py``.

The checks are declared on the assets themselves (``check_specs``, evaluated inside the
partitioned asset: see reference/dagster-notes.md §3), so there is no separate check list.
"""

from pipelines.stock.assets import (
    pennylane_documents,
    stock_assets,
    stock_levels,
    stock_movements,
    stock_sync_job,
)
from pipelines.stock.schedules import stock_sync_schedule

stock_jobs = [stock_sync_job]
stock_schedules = [stock_sync_schedule]

__all__ = ["pennylane_documents", "stock_assets", "stock_jobs", "stock_levels", "stock_movements",
           "stock_schedules", "stock_sync_job"]
