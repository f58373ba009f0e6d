"""Failure cases: the rows that tell the reader of a failed check which record to fix.

A failure-cases frame has the :data:`FAILURE_COLUMNS` ``order_id, line_id, field, value,
reason``, all text. The helpers below build text columns and read a frame's columns without the
per-value conversions pandas would do, because the mapping and the checks run per tenant-day
and thousands of times in property tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.arrays import StringArray

FAILURE_COLUMNS = ["order_id", "line_id", "field", "value", "reason"]


def failure_frame(rows: list[dict]) -> pd.DataFrame:
    """A failure-cases frame with the :data:`FAILURE_COLUMNS`, values as text."""
    if not rows:
        return _NO_FAILURES.copy()  # the common case: built once, copied (cheap) per call
    if all(isinstance(row.get(c), str) for row in rows for c in FAILURE_COLUMNS):
        return text_frame({c: [row[c] for row in rows] for c in FAILURE_COLUMNS})
    df = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    return df.fillna("").astype("string")


def text_array(values: list | tuple) -> pd.api.extensions.ExtensionArray:
    """``values`` (all ``str``) as a ``"string"`` array, without pandas' per-value conversion."""
    if pd.StringDtype().storage == "python":
        return StringArray(np.array(values, dtype=object))
    return pd.array(list(values), dtype="string")


def text_frame(columns: dict[str, list | tuple]) -> pd.DataFrame:
    """A frame of text columns built directly (``astype("string")`` costs ~0.1 ms a column)."""
    return pd.DataFrame({name: text_array(values) for name, values in columns.items()}, copy=False)


def column_values(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column's values as a numpy array, shared with the frame when it can be.

    For a ``"string"`` column this is its object array of ``str`` (NA as ``pd.NA``):
    ``Series.to_numpy()`` would first scan it for NA, ~50 ms per million rows each time.
    """
    return np.asarray(df[name].array)


_NO_FAILURES = pd.DataFrame({c: pd.array([], dtype="string") for c in FAILURE_COLUMNS})
