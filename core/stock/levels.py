"""Stock levels from the movement ledger (pure).

Level of a product at a location at the end of a day = the sum of the movements dated on or
before that day. ``available = on_hand − reserved`` (Odoo's ``free_qty``). Levels are a pure
function of the ledger, so recomputing a day always gives the same figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import pandas as pd

from core.stock.movements import Movement

LEVEL_COLUMNS = {
    "product": "string",
    "location": "string",
    "on_hand_milli": "int64",
    "reserved_milli": "int64",
    "available_milli": "int64",
}


def levels_at(movements: Iterable[Movement], day: str, *, locations: Sequence[str] = (),
              products: Sequence[str] = ()) -> pd.DataFrame:
    """End-of-day levels per product × location, sorted. ``products``/``locations`` add zero rows
    for pairs without movements, so a tenant's every product shows in every location."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for mv in movements:
        if mv.date <= day:
            acc = sums[(mv.product, mv.location)]
            acc[0] += mv.on_hand
            acc[1] += mv.reserved
    for p in products:
        for loc in locations:
            sums.setdefault((p, loc), [0, 0])
    rows = [
        {"product": p, "location": loc, "on_hand_milli": oh, "reserved_milli": res, "available_milli": oh - res}
        for (p, loc), (oh, res) in sorted(sums.items())
    ]
    frame = pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))
    return frame.astype(LEVEL_COLUMNS)


def negative_available(levels: pd.DataFrame) -> pd.DataFrame:
    """Rows whose available quantity is below zero (sold more than is free to use)."""
    return levels[levels["available_milli"] < 0]
