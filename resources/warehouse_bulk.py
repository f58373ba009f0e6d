"""Bulk moves between pandas frames and warehouse tables, and upserts, per dialect.

- Writes: PostgreSQL ``COPY … FROM STDIN`` (CSV, NULLs kept), SQLite one ``executemany`` of
  tuples built column-wise; never a Python dict per row.
- Reads: the partition's rows straight into typed columns (``dtypes``), no record round trip.
- :func:`upsert`: ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite dialects): one
  statement, so two writers of the same key never race between a read and a write.
- :func:`lock_partition`: what makes "delete the partition, insert its rows" atomic for a
  concurrent writer of the same partition (PostgreSQL transaction advisory lock; on SQLite the
  delete is the transaction's first statement, which takes the database write lock).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

_NULL = r"\N"


def lock_partition(conn: sa.Connection, tenant: str, period: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                     {"k": f"partition:{tenant}:{period}"})


def insert_frame(conn: sa.Connection, table: sa.Table, df: pd.DataFrame, fixed: Mapping[str, Any]) -> None:
    """Insert every row of ``df`` (the table's columns not in ``fixed``) with ``fixed`` values."""
    if not len(df):
        return
    names = [c.name for c in table.c if c.name not in fixed]
    if conn.dialect.name == "postgresql":
        _copy_in(conn, table, df[names].assign(**fixed), [*names, *fixed])
        return
    columns = [_python_values(df[name]) for name in names]
    columns += [[value] * len(df) for value in fixed.values()]
    quoted = [conn.dialect.identifier_preparer.quote(n) for n in [*names, *fixed]]
    sql = (f"INSERT INTO {conn.dialect.identifier_preparer.format_table(table)} ({', '.join(quoted)}) "
           f"VALUES ({', '.join('?' for _ in quoted)})")
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _python_values(col: pd.Series) -> list:
    """Plain Python values (the DB-API wants ``int``, not ``numpy.int64``); missing → ``None``."""
    if col.hasnans:
        return col.astype(object).where(col.notna(), None).tolist()
    return col.tolist()


def _copy_in(conn: sa.Connection, table: sa.Table, df: pd.DataFrame, names: Sequence[str]) -> None:
    text_cols = [n for n in names if isinstance(table.c[n].type, sa.String)]
    buffer = df[list(names)].to_csv(index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, na_rep=_NULL)
    prep = conn.dialect.identifier_preparer
    options = f"FORMAT csv, NULL '{_NULL}'"
    if text_cols:
        options += f", FORCE_NULL ({', '.join(prep.quote(n) for n in text_cols)})"
    sql = f"COPY {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)}) FROM STDIN ({options})"
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(sql) as copy:
        copy.write(buffer)


def read_frame(conn: sa.Connection, table: sa.Table, where: Mapping[str, Any],
               dtypes: Mapping[str, str]) -> pd.DataFrame:
    """The rows of ``table`` matching ``where`` (column = value), as a frame typed by ``dtypes``
    (one column per key, in that order)."""
    names = list(dtypes)
    query = sa.select(*(table.c[n] for n in names)).where(*(table.c[k] == v for k, v in where.items()))
    rows = conn.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=names, nrows=len(rows)).astype(dict(dtypes))


def upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str],
           update: Callable[[Any], Mapping[str, Any]]) -> None:
    """Insert ``rows`` (one statement); a row whose ``keys`` exist updates it with
    ``update(excluded)`` instead (``excluded``: the proposed row's columns)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(list(rows))
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(update(stmt.excluded))))
