"""Canonical sales frames (DESIGN.md §4) and their pandera models.

One business day (or month) of one tenant is three frames:

- ``sales_lines``    one row per sold (or refunded) line; money in signed integer cents
                     (a refund is negative), VAT rate as an exact decimal string in percent;
                     ``buyer_vat_id`` the buyer's VAT number when the source gives one (a B2B
                     sale: intra-EU 0 %, never OSS), else ``""``.
- ``payments``       one row per payment; ``method`` is the name exactly as the source gives it;
                     ``amount_cents`` is the money taken including the tip, ``tip_cents`` the tip part.
- ``closure_totals`` the source's own Z-report totals, per payment method and per VAT rate, used
                     to cross-check the lines (empty when the source has none).

Invariant of a consistent day: ``sum(payments.amount_cents) == sum(sales_lines.gross_cents) +
sum(payments.tip_cents)``. A violation is a *source* error, found by the mapping's balance step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

LINE_KINDS = ("item", "shipping", "fee", "service_charge", "discount", "gift_card")

def normalize_rate(value: object, *, fraction: bool = False) -> str:
    """A VAT rate in percent as its shortest exact text: ``20`` / ``"20.0"`` / ``"5.50"`` →
    ``"20"`` / ``"20"`` / ``"5.5"``. With ``fraction=True`` the source gives fractions
    (Shopify's ``0.2``), multiplied by 100. Never guesses: 0.9 % (Corsica) is a real percent.
    Raises ``ValueError`` for anything that is not a finite, non-negative decimal."""
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation as exc:
        raise ValueError(f"not a VAT rate: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise ValueError(f"not a VAT rate: {value!r}")
    if fraction:
        d = d * 100
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def make_frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Build a canonical frame from dict rows, filling optional text columns with ``""``."""
    if not rows:
        return empty_frame(columns)
    df = pd.DataFrame.from_records(rows)
    for col, dtype in columns.items():
        if col not in df.columns:
            if dtype == "string":
                df[col] = ""
            elif dtype == "bool":
                df[col] = False
            elif dtype == "float64":
                df[col] = 0.0
            else:
                df[col] = 0
    df = df[list(columns)]
    for col, dtype in columns.items():
        if dtype == "string":
            df[col] = df[col].fillna("").astype("string")
        elif dtype == "bool":
            df[col] = df[col].fillna(False).astype(bool)  # a row that does not say is not a refund
        else:
            if df[col].isna().any():
                raise ValueError(f"column {col}: {int(df[col].isna().sum())} row(s) without a value")
            df[col] = df[col].astype(dtype)
    return df


def _text(max_length: int) -> dict[str, int]:
    """Field metadata: the longest text the warehouse column holds (its SQL ``VARCHAR`` length)."""
    return {"sql_length": max_length}


def column_dtypes(model: type[pa.DataFrameModel]) -> dict[str, str]:
    """The frame dtypes of ``model``'s columns, in order: ``string``, ``int64``, ``float64``,
    ``bool``. The dtype dicts below, the warehouse columns and the Dagster column schemas are all
    derived from the models: the models are the one definition of each frame."""
    return {name: "string" if isinstance(col.dtype.type, pd.StringDtype) else str(col.dtype)
            for name, col in model.to_schema().columns.items()}


class SalesLines(pa.DataFrameModel):
    """``sales_lines``: one row per sold (or refunded) line."""

    order_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, metadata=_text(128))
    line_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, metadata=_text(128))
    location: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    kind: Series[pd.StringDtype] = pa.Field(isin=list(LINE_KINDS), metadata=_text(32))
    product_id: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    sku: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    category: Series[pd.StringDtype] = pa.Field(metadata=_text(256))
    quantity: Series[float]
    net_cents: Series[np.int64]
    vat_rate: Series[pd.StringDtype] = pa.Field(str_matches=r"^\d+(\.\d+)?$", metadata=_text(8))
    vat_cents: Series[np.int64]
    gross_cents: Series[np.int64]
    country: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{2}$", metadata=_text(2))
    is_refund: Series[bool]
    currency: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{3}$", metadata=_text(3))
    buyer_vat_id: Series[pd.StringDtype] = pa.Field(metadata=_text(32))

    class Config:
        strict = True

    @pa.dataframe_check(error="gross_cents must equal net_cents + vat_cents")
    @classmethod
    def gross_is_net_plus_vat(cls, df: pd.DataFrame) -> Series[bool]:
        return df["gross_cents"] == df["net_cents"] + df["vat_cents"]

    @pa.dataframe_check(error="a refund line must not have a positive amount")
    @classmethod
    def refunds_not_positive(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["is_refund"] | (df["gross_cents"] <= 0)


class Payments(pa.DataFrameModel):
    """``payments``: one row per payment, ``method`` as the source names it."""

    order_id: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    payment_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, metadata=_text(128))
    location: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    method: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, metadata=_text(256))
    amount_cents: Series[np.int64]
    tip_cents: Series[np.int64] = pa.Field(ge=0)
    is_refund: Series[bool]
    currency: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{3}$", metadata=_text(3))

    class Config:
        strict = True

    @pa.dataframe_check(error="a refund payment must not have a positive amount")
    @classmethod
    def refunds_not_positive(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["is_refund"] | (df["amount_cents"] <= 0)


class ClosureTotals(pa.DataFrameModel):
    """``closure_totals``: the source's Z-report totals per payment method and per VAT rate."""

    location: Series[pd.StringDtype] = pa.Field(metadata=_text(128))
    dimension: Series[pd.StringDtype] = pa.Field(isin=["payment", "vat"], metadata=_text(16))
    key: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1}, metadata=_text(256))  # method or rate
    amount_cents: Series[np.int64]  # gross (payments: takings incl. tips)
    net_cents: Series[np.int64]  # vat dimension: net of VAT; payment dimension: 0
    vat_cents: Series[np.int64]  # vat dimension: VAT; payment dimension: 0

    class Config:
        strict = True


class JournalLines(pa.DataFrameModel):
    """``journal_lines``: the lines of the period's entries, as the mapping builds them."""

    entry_key: Series[pd.StringDtype] = pa.Field(metadata=_text(64))
    line_no: Series[np.int64] = pa.Field(metadata={"sql_type": "integer"})
    account: Series[pd.StringDtype] = pa.Field(metadata=_text(16))
    label: Series[pd.StringDtype] = pa.Field(metadata=_text(512))
    debit_cents: Series[np.int64]
    credit_cents: Series[np.int64]
    kind: Series[pd.StringDtype] = pa.Field(metadata=_text(32))
    source_key: Series[pd.StringDtype] = pa.Field(nullable=True, metadata=_text(256))
    vat_rate: Series[pd.StringDtype] = pa.Field(nullable=True, metadata=_text(8))
    country: Series[pd.StringDtype] = pa.Field(nullable=True, metadata=_text(2))
    mapped: Series[bool]

    class Config:
        strict = True


SALES_LINE_COLUMNS = column_dtypes(SalesLines)
PAYMENT_COLUMNS = column_dtypes(Payments)
CLOSURE_COLUMNS = column_dtypes(ClosureTotals)
JOURNAL_LINE_COLUMNS = column_dtypes(JournalLines)


@dataclass
class SourceDay:
    """One period's sales for one tenant, in canonical frames."""

    sales_lines: pd.DataFrame = field(default_factory=lambda: empty_frame(SALES_LINE_COLUMNS))
    payments: pd.DataFrame = field(default_factory=lambda: empty_frame(PAYMENT_COLUMNS))
    closure_totals: pd.DataFrame = field(default_factory=lambda: empty_frame(CLOSURE_COLUMNS))
    # False while the source says the day is not final (closure open, completeness flag off).
    complete: bool = True
    waiting_reason: str | None = None
    # Free-text facts worth showing in the materialization metadata.
    notes: list[str] = field(default_factory=list)
    # Where the data came from (URL, file path), for traceability.
    origin: str = ""

    @property
    def payment_methods_seen(self) -> list[str]:
        return sorted(set(self.payments["method"].astype(str))) if len(self.payments) else []
