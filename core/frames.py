"""Canonical sales frames (DESIGN.md §4) and their pandera models.

One business day (or month) of one tenant is three frames:

- ``sales_lines``    one row per sold (or refunded) line; money in signed integer cents
                     (a refund is negative), VAT rate as an exact decimal string in percent.
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

SALES_LINE_COLUMNS = {
    "order_id": "string",
    "line_id": "string",
    "location": "string",
    "kind": "string",
    "product_id": "string",
    "sku": "string",
    "category": "string",
    "quantity": "float64",
    "net_cents": "int64",
    "vat_rate": "string",
    "vat_cents": "int64",
    "gross_cents": "int64",
    "country": "string",
    "is_refund": "bool",
    "currency": "string",
}
PAYMENT_COLUMNS = {
    "order_id": "string",
    "payment_id": "string",
    "location": "string",
    "method": "string",
    "amount_cents": "int64",
    "tip_cents": "int64",
    "is_refund": "bool",
    "currency": "string",
}
CLOSURE_COLUMNS = {
    "location": "string",
    "dimension": "string",  # "payment" or "vat"
    "key": "string",  # payment method name, or normalised VAT rate
    "amount_cents": "int64",  # gross (payments: takings incl. tips)
    "net_cents": "int64",  # vat dimension: net of VAT; payment dimension: 0
    "vat_cents": "int64",  # vat dimension: VAT; payment dimension: 0
}


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


class SalesLines(pa.DataFrameModel):
    order_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    line_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    location: Series[pd.StringDtype]
    kind: Series[pd.StringDtype] = pa.Field(isin=list(LINE_KINDS))
    product_id: Series[pd.StringDtype]
    sku: Series[pd.StringDtype]
    category: Series[pd.StringDtype]
    quantity: Series[float]
    net_cents: Series[np.int64]
    vat_rate: Series[pd.StringDtype] = pa.Field(str_matches=r"^\d+(\.\d+)?$")
    vat_cents: Series[np.int64]
    gross_cents: Series[np.int64]
    country: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{2}$")
    is_refund: Series[bool]
    currency: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{3}$")

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
    order_id: Series[pd.StringDtype]
    payment_id: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    location: Series[pd.StringDtype]
    method: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    amount_cents: Series[np.int64]
    tip_cents: Series[np.int64] = pa.Field(ge=0)
    is_refund: Series[bool]
    currency: Series[pd.StringDtype] = pa.Field(str_matches=r"^[A-Z]{3}$")

    class Config:
        strict = True

    @pa.dataframe_check(error="a refund payment must not have a positive amount")
    @classmethod
    def refunds_not_positive(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["is_refund"] | (df["amount_cents"] <= 0)


class ClosureTotals(pa.DataFrameModel):
    location: Series[pd.StringDtype]
    dimension: Series[pd.StringDtype] = pa.Field(isin=["payment", "vat"])
    key: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})
    amount_cents: Series[np.int64]
    net_cents: Series[np.int64]
    vat_cents: Series[np.int64]

    class Config:
        strict = True


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
