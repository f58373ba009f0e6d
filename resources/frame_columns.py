"""Warehouse columns derived from the pandera models of :mod:`core.frames` (the one definition
of each frame): a text column's length is the field's ``sql_length`` metadata, integers are
``BIGINT`` (``INTEGER`` where the field's metadata says ``sql_type: integer``)."""

from __future__ import annotations

import pandera.pandas as pa
import sqlalchemy as sa

from core.frames import column_dtypes

_TYPES = {"int64": sa.BigInteger, "float64": sa.Float, "bool": sa.Boolean}


def sql_columns(model: type[pa.DataFrameModel]) -> list[sa.Column]:
    schema = model.to_schema().columns
    columns = []
    for name, dtype in column_dtypes(model).items():
        meta = schema[name].metadata or {}
        if dtype == "string":
            type_: sa.types.TypeEngine = sa.String(meta["sql_length"]) if "sql_length" in meta else sa.Text()
        elif meta.get("sql_type") == "integer":
            type_ = sa.Integer()
        else:
            type_ = _TYPES[dtype]()
        columns.append(sa.Column(name, type_))
    return columns
