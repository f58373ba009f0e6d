"""Customer receivables: timing differences computed order by order, never a residual.

With ``accounting.receivables_account`` (e-commerce: an order is booked the day it is placed,
its money moves on another day), the customers account takes exactly two things, each traced to
an order named by the source:

- **unpaid**: an order with lines today whose payments today (tips excluded) are less than its
  gross, in the same direction (nothing or part paid; for a refund booked today, nothing or part
  paid back) — the rest is debited to customers (credited for a refund);
- **paid for an earlier order**: a payment today for an order with no line today — credited to
  customers (debited for money paid back).

An order paid *more* than its gross, a payment without an order id, and whatever else makes
debits differ from credits are not timing differences: beyond the rounding tolerance the day is
a source error "debit ≠ credit" (the balance step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.failures import column_values
from core.money import cents_to_text


@dataclass(frozen=True)
class OrderTiming:
    """One order's part of the customers line."""

    location: str  # "" unless the tenant books locations apart
    order_id: str
    reason: str  # "unpaid" | "earlier"
    amount_cents: int  # > 0 debited to customers, < 0 credited


def _sums(keys: pd.MultiIndex, values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype(np.int64, copy=False), index=keys).groupby(level=[0, 1], sort=False).sum()


def timing_differences(ctx: MappingContext, sales_lines: pd.DataFrame, payments: pd.DataFrame) -> list[OrderTiming]:
    """The period's timing differences per order (empty without a ``receivables_account``)."""
    acc = ctx.tenant.accounting
    if not acc.receivables_account:
        return []

    def keys(frame: pd.DataFrame) -> pd.MultiIndex:
        location = column_values(frame, "location") if acc.per_location else np.full(len(frame), "", dtype=object)
        return pd.MultiIndex.from_arrays([location, column_values(frame, "order_id")])

    gross = _sums(keys(sales_lines), column_values(sales_lines, "gross_cents"))
    traced = column_values(payments, "order_id") != ""
    paid_all = column_values(payments, "amount_cents") - column_values(payments, "tip_cents")
    paid = _sums(keys(payments)[traced], paid_all[traced])
    out: list[OrderTiming] = []
    for (location, order_id), g in gross.items():
        p = int(paid.get((location, order_id), 0))
        g = int(g)
        if (g > 0 and 0 <= p < g) or (g < 0 and g < p <= 0):
            out.append(OrderTiming(str(location), str(order_id), "unpaid", g - p))
    for (location, order_id), p in paid.items():
        if (location, order_id) not in gross.index and int(p) != 0:
            out.append(OrderTiming(str(location), str(order_id), "earlier", -int(p)))
    return out


def describe(timings: list[OrderTiming], limit: int = 10) -> str:
    """``"W1 60.00 €, W7 12.00 €"`` (first ``limit`` orders, then how many more)."""
    shown = ", ".join(f"{t.order_id} {cents_to_text(abs(t.amount_cents))}" for t in timings[:limit])
    return shown + (f" and {len(timings) - limit} more" if len(timings) > limit else "")
