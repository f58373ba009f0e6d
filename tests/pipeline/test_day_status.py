"""The warehouse's day_status rows keep the values databases already hold, and refuse any other."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.errors import ErrorClass
from core.statuses import DayStatus
from resources.warehouse import Warehouse, day_status


def raw_rows(warehouse: Warehouse) -> list[tuple]:
    with warehouse.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(day_status.c.period, day_status.c.status, day_status.c.error_class)
            .order_by(day_status.c.period))]


def test_statuses_are_stored_as_the_plain_words_existing_databases_hold(warehouse: Warehouse):
    warehouse.set_day_status("acme", "2026-11-19", DayStatus.POSTED)
    warehouse.set_day_status("acme", "2026-11-20", DayStatus.FAILED, "debit ≠ credit", ErrorClass.SOURCE)
    warehouse.set_day_status("acme", "2026-11-21", "waiting", "closure still open")  # a row written before
    assert raw_rows(warehouse) == [
        ("2026-11-19", "posted", None), ("2026-11-20", "failed", "source"), ("2026-11-21", "waiting", None)]
    assert warehouse.get_day_status("acme", "2026-11-20")["status"] == DayStatus.FAILED


def test_a_status_that_is_not_a_day_status_is_refused_and_nothing_is_written(warehouse: Warehouse):
    warehouse.set_day_status("acme", "2026-11-20", DayStatus.MAPPED)
    with pytest.raises(ValueError, match="'todo' is not a valid DayStatus"):
        warehouse.set_day_status("acme", "2026-11-20", "todo")
    with pytest.raises(ValueError, match="'network' is not a valid ErrorClass"):
        warehouse.set_day_status("acme", "2026-11-20", DayStatus.FAILED, "boom", "network")
    assert raw_rows(warehouse) == [("2026-11-20", "mapped", None)]
