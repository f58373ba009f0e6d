"""Every taxed line's VAT amount against its rate: a mismatch is a blocking source error.

The VAT of a line is its net times its rate, rounded to the cent (half away from zero, as
``Decimal.ROUND_HALF_UP``). A source computing VAT from the gross (``gross − gross / (1 + r)``)
lands within one cent of it, so the tolerance is **one cent per line** — the rounding of that
line. A source that rounds per order (the VAT of each rate computed once on the order, then
spread over its lines: ``accounting.vat_rounding: order``) is checked per (order, rate), one cent
per (order, rate). A 0 % line carries no VAT at all (no tolerance).

The error names the order, the line (the first of its order and rate in ``order`` mode), the
rate, the expected and the received VAT. Arithmetic is exact: integer cents and the rate as a
fraction (``5.5`` → 55 / 10), vectorised over the day.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.failures import column_values
from core.accounting.vat_rates import canonical_rate, format_rate_fr
from core.money import cents_to_text


def rate_fraction(rate: str) -> tuple[int, int]:
    """``"5.5"`` → ``(55, 1000)``: the rate as numerator / denominator of a fraction of 1."""
    numerator, denominator = Decimal(canonical_rate(rate)).as_integer_ratio()
    return numerator, denominator * 100


def expected_vat(net: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``round(net × n / d)`` per row, half away from zero, in exact integer arithmetic."""
    magnitude = (2 * np.abs(net) * numerator + denominator) // (2 * denominator)
    return np.sign(net) * magnitude


def check_vat_amounts(ctx: MappingContext, sales_lines: pd.DataFrame) -> None:
    """Raise a ``SourceDataError`` on the first line (or order and rate) whose VAT is not its rate's."""
    n = len(sales_lines)
    if not n:
        return
    taxed = column_values(sales_lines, "kind") != "gift_card"
    rate_codes, rates = pd.factorize(column_values(sales_lines, "vat_rate"))
    fractions = [rate_fraction(str(r)) for r in rates]
    numerator = np.array([f[0] for f in fractions], dtype=np.int64)[rate_codes]
    denominator = np.array([f[1] for f in fractions], dtype=np.int64)[rate_codes]
    net = column_values(sales_lines, "net_cents").astype(np.int64, copy=False)
    vat = column_values(sales_lines, "vat_cents").astype(np.int64, copy=False)
    order_ids = column_values(sales_lines, "order_id")
    if ctx.tenant.accounting.vat_rounding == "order":
        keys = pd.MultiIndex.from_arrays([order_ids, rate_codes])
        group, _ = pd.factorize(keys)
        groups = int(group.max()) + 1
        net_sum = np.zeros(groups, dtype=np.int64)
        vat_sum = np.zeros(groups, dtype=np.int64)
        np.add.at(net_sum, group[taxed], net[taxed])
        np.add.at(vat_sum, group[taxed], vat[taxed])
        first = np.full(groups, n, dtype=np.int64)
        np.minimum.at(first, group[taxed], np.flatnonzero(taxed))
        used = first < n
        rows = first[used]
        net_g, vat_g = net_sum[used], vat_sum[used]
        where = "order"
    else:
        rows = np.flatnonzero(taxed)
        net_g, vat_g = net[rows], vat[rows]
        where = "line"
    expected = expected_vat(net_g, numerator[rows], denominator[rows])
    tolerance = np.where(numerator[rows] == 0, 0, 1)
    bad = np.abs(vat_g - expected) > tolerance
    if not bad.any():
        return
    i = int(np.argmax(bad))
    row = int(rows[i])
    rate = canonical_rate(str(rates[rate_codes[row]]))
    order_id, line_id = str(order_ids[row]), str(column_values(sales_lines, "line_id")[row])
    scope = (f"order {order_id} line {line_id}" if where == "line"
             else f"order {order_id} (lines at this rate, from line {line_id})")
    more = int(bad.sum()) - 1
    raise ctx.source_error(
        f"VAT does not match its rate: {scope} has a net of {cents_to_text(int(net_g[i]))} at "
        f"{format_rate_fr(rate)}, so {cents_to_text(int(expected[i]))} of VAT, but the source gives "
        f"{cents_to_text(int(vat_g[i]))} (tolerance {cents_to_text(int(tolerance[i]))}, the rounding of one "
        f"{where})" + (f" (and {more} other {where}(s))" if more else ""),
        record=f"order {order_id} line {line_id}", field_name="vat_cents",
        rate=rate, expected_vat_cents=int(expected[i]), received_vat_cents=int(vat_g[i]),
    )
