"""Data checks of the stock assets (pandera models + the two business checks).

- Levels: ``available = on_hand − reserved`` on every row (a broken sum is a bug).
- No negative available unless the tenant allows backorders: a WARN listing the rows (stock
  can legitimately go negative when sales are recorded before the receipt; the merchant is told,
  the sync is not blocked — pain point I3).
- Every movement traceable to a Pennylane document or a local receipt (ERROR): a movement with
  no document would be stock nobody can explain.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from core.stock.movements import KINDS, Movement


class StockLevelsModel(pa.DataFrameModel):
    product: Series[str]
    location: Series[str]
    on_hand_milli: Series[int]
    reserved_milli: Series[int]
    available_milli: Series[int]

    @pa.dataframe_check
    def available_is_on_hand_minus_reserved(cls, df: pd.DataFrame) -> Series[bool]:
        return df["available_milli"] == df["on_hand_milli"] - df["reserved_milli"]

    class Config:
        strict = True
        coerce = True


class StockMovementsModel(pa.DataFrameModel):
    key: Series[str] = pa.Field(unique=True)
    doc_id: Series[str] = pa.Field(str_matches=r"^(pennylane:(customer_invoice|commercial_document):\d+|receipt:.+)$")
    kind: Series[str] = pa.Field(isin=list(KINDS))
    version: Series[int] = pa.Field(ge=1)
    product: Series[str]
    location: Series[str]
    date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")

    class Config:
        coerce = True


def movements_frame(movements: Iterable[Movement]) -> pd.DataFrame:
    cols = ["key", "doc_id", "kind", "version", "line_id", "product", "location", "date", "on_hand", "reserved",
            "returned", "reason"]
    return pd.DataFrame([[getattr(m, c) for c in cols] for m in movements], columns=cols)


def negative_available_rows(levels: pd.DataFrame, allow_backorders: bool) -> pd.DataFrame:
    if allow_backorders:
        return levels.iloc[0:0]
    return levels[levels["available_milli"] < 0]


def untraceable(movements: Iterable[Movement], document_ids: set[str]) -> list[Movement]:
    """Movements whose document (Pennylane document or local receipt) is not stored."""
    return [m for m in movements if m.doc_id not in document_ids]


def schema_errors(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> pd.DataFrame | None:
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None
