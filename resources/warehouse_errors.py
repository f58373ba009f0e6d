"""Warehouse failures that are *transient* (issue 10 §14): the database cannot be reached now.

An engine listener turns them into :class:`WarehouseUnavailable` (a ``TransientError``) as
SQLAlchemy raises them, so every caller — the steps, the posting log, the sensors — sees a
classified error, and the step retry policy retries it (it retries nothing else):

- any error SQLAlchemy recognises as a lost connection (``is_disconnect``), on any database;
- on PostgreSQL, ``OperationalError`` / ``InterfaceError`` (connection refused or closed, server
  shutting down, database not accepting connections) and the pool's timeout;
- on SQLite, "database is locked" / "busy" (another writer held the file past the timeout).

Anything else from the database (a missing table, a constraint, a type) stays what it is: a bug.
The message names the database error's class and first line, never a URL or an SQL statement.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.errors import TransientError

_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


class WarehouseUnavailable(TransientError):
    """The warehouse cannot be reached or written now; retrying later is safe."""


def is_transient(exc: BaseException, dialect: str, *, is_disconnect: bool = False) -> bool:
    if is_disconnect or isinstance(exc, sa.exc.TimeoutError):
        return True
    if dialect == "postgresql":
        return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)
    if dialect == "sqlite" and isinstance(exc, sa.exc.OperationalError):
        return any(words in str(exc.orig).lower() for words in _SQLITE_BUSY)
    return False


def unavailable(exc: BaseException) -> WarehouseUnavailable:
    orig = getattr(exc, "orig", None) or exc
    first_line = (str(orig).strip().splitlines() or [""])[0]
    return WarehouseUnavailable(f"warehouse unavailable ({type(orig).__name__}): {first_line}")


def classify_errors(engine: sa.Engine) -> sa.Engine:
    """Make ``engine`` raise :class:`WarehouseUnavailable` for the transient failures above."""

    @sa.event.listens_for(engine, "handle_error")
    def _transient(context: sa.engine.ExceptionContext) -> None:
        exc = context.sqlalchemy_exception or context.original_exception
        if is_transient(exc, engine.dialect.name, is_disconnect=context.is_disconnect):
            raise unavailable(exc) from exc

    return engine
