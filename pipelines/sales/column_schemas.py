"""Dagster column schemas (``dagster/column_schema``) of the sales datasets, derived from the
frames' pandera models (core/frames.py): name, dtype, nullability and the model's checks."""

from __future__ import annotations

import dagster as dg
import pandera.pandas as pa

from core.frames import ClosureTotals, JournalLines, Payments, SalesLines, column_dtypes


def table_schema(model: type[pa.DataFrameModel]) -> dg.TableSchema:
    columns = model.to_schema().columns
    return dg.TableSchema(columns=[
        dg.TableColumn(
            name, dtype,
            constraints=dg.TableColumnConstraints(
                nullable=columns[name].nullable,
                other=[check.error or check.name for check in columns[name].checks]),
        )
        for name, dtype in column_dtypes(model).items()
    ])


def dataset_schemas(*models: type[pa.DataFrameModel]) -> dict[str, dg.TableSchema]:
    """Asset metadata: the first model's schema as ``dagster/column_schema`` (what the UI shows),
    every model's as ``<dataset>/column_schema``."""
    first, *_ = models
    meta: dict[str, dg.TableSchema] = {"dagster/column_schema": table_schema(first)}
    for model in models:
        meta[f"{DATASET_OF[model]}/column_schema"] = table_schema(model)
    return meta


DATASET_OF = {SalesLines: "sales_lines", Payments: "payments", ClosureTotals: "closure_totals",
              JournalLines: "journal_lines"}
