"""The frames' pandera models (core/frames.py) are the one definition of the sales datasets: the
dtype dicts, the warehouse columns and the Dagster column schemas all come from them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
import sqlalchemy as sa

from core.frames import (
    CLOSURE_COLUMNS,
    JOURNAL_LINE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    ClosureTotals,
    JournalLines,
    Payments,
    SalesLines,
)
from pipelines.sales.assets import daily_sales, journal_lines
from resources.warehouse import DATASETS

REPO = Path(__file__).resolve().parents[2]
MODELS = {"sales_lines": SalesLines, "payments": Payments, "closure_totals": ClosureTotals,
          "journal_lines": JournalLines}
SQL_TYPES = {"int64": sa.Integer, "float64": sa.Float, "bool": sa.Boolean, "string": sa.String}


def test_the_dtype_dicts_are_the_models_columns():
    assert SALES_LINE_COLUMNS == {"order_id": "string", "line_id": "string", "location": "string",
                                  "kind": "string", "product_id": "string", "sku": "string",
                                  "category": "string", "quantity": "float64", "net_cents": "int64",
                                  "vat_rate": "string", "vat_cents": "int64", "gross_cents": "int64",
                                  "country": "string", "is_refund": "bool", "currency": "string",
                                  "buyer_vat_id": "string"}
    for columns, model in ((PAYMENT_COLUMNS, Payments), (CLOSURE_COLUMNS, ClosureTotals),
                           (JOURNAL_LINE_COLUMNS, JournalLines)):
        assert list(columns) == list(model.to_schema().columns)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_warehouse_columns_are_the_models(name):
    model = MODELS[name]
    table = DATASETS[name]
    stored = [c for c in table.c if c.name not in ("tenant", "period", "entry_label")]
    assert [c.name for c in stored] == list(model.to_schema().columns)
    dtypes = {"sales_lines": SALES_LINE_COLUMNS, "payments": PAYMENT_COLUMNS, "closure_totals": CLOSURE_COLUMNS,
              "journal_lines": JOURNAL_LINE_COLUMNS}[name]
    for column in stored:
        assert isinstance(column.type, SQL_TYPES[dtypes[column.name]]), column
        if dtypes[column.name] == "string":
            assert column.type.length == model.to_schema().columns[column.name].metadata["sql_length"]


def test_a_new_field_in_a_model_becomes_a_warehouse_column():
    from resources.frame_columns import sql_columns

    class Wider(SalesLines):
        loyalty_card: pa.typing.Series[pd.StringDtype] = pa.Field(metadata={"sql_length": 40})

    [extra] = [c for c in sql_columns(Wider) if c.name == "loyalty_card"]
    assert isinstance(extra.type, sa.String) and extra.type.length == 40


def test_the_dagster_column_schemas_are_the_models():
    sales_meta = daily_sales.specs_by_key[daily_sales.key].metadata
    schema = sales_meta["dagster/column_schema"]
    assert [(c.name, c.type) for c in schema.columns] == list(SALES_LINE_COLUMNS.items())
    currency = next(c for c in schema.columns if c.name == "currency")
    assert currency.constraints.nullable is False
    assert any("[A-Z]{3}" in check for check in currency.constraints.other)
    assert [c.name for c in sales_meta["payments/column_schema"].columns] == list(PAYMENT_COLUMNS)
    assert [c.name for c in sales_meta["closure_totals/column_schema"].columns] == list(CLOSURE_COLUMNS)
    journal = journal_lines.specs_by_key[journal_lines.key].metadata["dagster/column_schema"]
    assert [(c.name, c.type) for c in journal.columns] == list(JOURNAL_LINE_COLUMNS.items())


def test_no_other_module_declares_the_sales_columns_again():
    """A second declaration (a dtype dict, a list of SQL columns) of the canonical columns."""
    twice = re.compile(r"""["']gross_cents["']\s*[:,]\s*["'](int64|BIGINT)|Column\(\s*["']gross_cents["']""")
    offenders = [str(p.relative_to(REPO)) for pkg in ("core", "resources", "pipelines", "emulators", "bench")
                 for p in (REPO / pkg).rglob("*.py") if twice.search(p.read_text(encoding="utf-8"))
                 and "migrations/versions" not in str(p)]
    assert offenders == []
