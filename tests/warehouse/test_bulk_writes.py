"""Partition writes are bulk and atomic, state rows are upserts: what a day stores is what is read
back (types, empty strings, NULLs), and two processes writing the same day or the same state
rows at once never double a row nor fail on a duplicate key (real processes, SQLite and Postgres)."""

from __future__ import annotations

import multiprocessing
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from emulators.generator import expected_frames, generate_day
from resources.warehouse import Warehouse, payment_methods_seen, sales_lines

DAY = date(2026, 11, 20)


def frames(seed: int) -> dict[str, pd.DataFrame]:
    day = expected_frames(generate_day("restaurant", DAY, seed=seed))
    return {"sales_lines": day.sales_lines, "payments": day.payments, "closure_totals": day.closure_totals}


def url_for(backend: str, tmp_path, request) -> str:
    return request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'wh.db'}"


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_day_reads_back_exactly_as_written(backend, tmp_path, request):
    wh = Warehouse(url_for(backend, tmp_path, request))
    written = frames(seed=3)
    written["sales_lines"].loc[0, "category"] = ""  # an empty text stays empty, not NULL
    written["sales_lines"].loc[1, "category"] = 'Vins "nature", rouges\n(75 cl)'
    wh.replace_partition("bistro", DAY.isoformat(), written)
    for name, df in written.items():
        pd.testing.assert_frame_equal(wh.read_partition(name, "bistro", DAY.isoformat()), df, check_dtype=True)
    journal = pd.DataFrame({"entry_key": ["day"], "entry_label": ["Ventes"], "line_no": [1], "account": ["706"],
                            "label": ["Ventes 20 %"], "debit_cents": [0], "credit_cents": [1000], "kind": ["sales"],
                            "source_key": [pd.NA], "vat_rate": ["20"], "country": ["FR"], "mapped": [True]})
    wh.replace_partition("bistro", DAY.isoformat(), {"journal_lines": journal})
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT source_key IS NULL, debit_cents, credit_cents FROM journal_lines")).one() \
            == (1, 0, 1000)
    wh.engine.dispose()


def _write_day_many_times(url: str, seed: int, times: int) -> None:
    wh = Warehouse(url)
    day = frames(seed)
    for i in range(times):
        wh.replace_partition("bistro", DAY.isoformat(), day)
        wh.set_day_status("bistro", DAY.isoformat(), "complete" if i % 2 else "mapped")
        wh.record_payment_methods("bistro", f"2026-11-{10 + seed}", sorted(set(day["payments"]["method"])))
    wh.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_writing_the_same_day_leave_one_whole_version(backend, tmp_path, request):
    url = url_for(backend, tmp_path, request)
    Warehouse(url).engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_day_many_times, args=(url, seed, 15)) for seed in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0, 0]  # no duplicate key, no deadlock, no lost lock

    wh = Warehouse(url)
    stored = wh.read_partition("sales_lines", "bistro", DAY.isoformat())
    versions = [f["sales_lines"] for f in (frames(1), frames(2))]
    key = list(stored.columns)
    assert any(stored.sort_values(key, ignore_index=True).equals(v.sort_values(key, ignore_index=True))
               for v in versions), "rows of both writers mixed, or doubled"
    assert wh.get_day_status("bistro", DAY.isoformat())["status"] in ("complete", "mapped")
    with wh.engine.connect() as conn:
        seen = conn.execute(sa.select(payment_methods_seen.c.method, payment_methods_seen.c.first_seen,
                                      payment_methods_seen.c.last_seen)).all()
        lines = conn.execute(sa.select(sa.func.count()).select_from(sales_lines)).scalar_one()
    assert lines == len(stored)
    methods = set(frames(1)["payments"]["method"]) | set(frames(2)["payments"]["method"])
    assert {m for m, _, _ in seen} == methods and len(seen) == len(methods)
    both = set(frames(1)["payments"]["method"]) & set(frames(2)["payments"]["method"])
    assert all((first, last) == ("2026-11-11", "2026-11-12") for m, first, last in seen if m in both)
    wh.engine.dispose()


def test_day_status_keeps_when_it_was_first_seen(tmp_path):
    wh = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    wh.set_day_status("bistro", "2026-11-20", "waiting", "closure open")
    first = wh.get_day_status("bistro", "2026-11-20")
    wh.set_day_status("bistro", "2026-11-20", "failed", "boom", "source")
    then = wh.get_day_status("bistro", "2026-11-20")
    assert (then["status"], then["reason"], then["error_class"]) == ("failed", "boom", "source")
    assert then["first_seen_at"] == first["first_seen_at"] and then["updated_at"] >= first["updated_at"]
