"""Fixtures shared by the whole suite.

- Vendor specs are read from ``../shared/specs/`` (``$SHARED_SPECS_DIR``; never copied into the
  repo; ``make specs`` fetches them, pinned by SHA-256 in ``tests/specs.sha256``). Without them,
  locally, every end-to-end test still runs with the OpenAPI validation of requests off (one line
  in the report header says so) and the few tests that read a spec as data are skipped; with
  ``CI=true`` a missing spec is a failure.
- ``postgres_url`` creates a fresh database on the local server for one test and drops it after.
  Without a server the test is skipped locally, and FAILS when ``CI=true``.
"""

from __future__ import annotations

import gc
import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_SPECS = Path(os.environ.get("SHARED_SPECS_DIR", REPO.parent / "shared" / "specs"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


SPEC_FILES = ("pennylane-company-api-v2-openapi.json", "chift-api-openapi.json", "square-connect-api.json")


def missing_specs() -> list[str]:
    return [name for name in SPEC_FILES if not (SHARED_SPECS / name).exists()]


def pytest_report_header(config) -> str | None:
    missing = missing_specs()
    if not missing or IN_CI:
        return None
    return (f"OpenAPI request validation OFF: {', '.join(missing)} not in {SHARED_SPECS} "
            f"(emulators' own rules still apply); `make specs` fetches them from the vendors' public "
            f"URLs, pinned by SHA-256 in tests/specs.sha256")


def validation_spec(name: str) -> Path | None:
    """Path of a vendor spec for the request-validation layer; None (layer off) when missing
    locally, a failure with ``CI=true``."""
    path = SHARED_SPECS / name
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"vendor spec {path} is missing (CI=true: a missing spec is a failure)")
    return None


def spec_path(name: str) -> Path:
    """Path of a vendor spec read as data; skip (locally) or fail (CI) when missing."""
    path = SHARED_SPECS / name
    if not path.exists():
        msg = f"vendor spec {path} is missing"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing spec is a failure)")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def pennylane_spec() -> Path | None:
    """The Pennylane spec the emulator validates requests against; None: validation off."""
    return validation_spec("pennylane-company-api-v2-openapi.json")


@pytest.fixture(scope="session")
def pennylane_spec_document() -> Path:
    return spec_path("pennylane-company-api-v2-openapi.json")


@pytest.fixture(scope="session")
def chift_spec() -> Path | None:
    """The Chift spec the tests validate the connector's traffic against; None: validation off."""
    return validation_spec("chift-api-openapi.json")


@pytest.fixture(scope="session")
def square_spec() -> Path | None:
    """The Square spec the tests validate the connector's requests against; None: validation off."""
    return validation_spec("square-connect-api.json")


@pytest.fixture(scope="session")
def square_spec_document() -> Path:
    return spec_path("square-connect-api.json")


@pytest.fixture
def postgres_url():
    """A fresh, empty Postgres database (SQLAlchemy URL); dropped after the test."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # server down
        admin.dispose()
        msg = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing PostgreSQL is a failure)")
        pytest.skip(msg)
    name = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        sa.engine.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pennylane_harness(tmp_path: Path, pennylane_spec: Path | None):
    """A started :class:`tests.harness.PennylaneHarness` (fast rate-limit window) whose SQLite
    file lives in ``tmp_path``; the test fails at teardown on any Pennylane spec violation."""
    from tests.harness import PennylaneHarness  # imported here: most tests never start an emulator

    with PennylaneHarness(tmp_path / "pennylane.db", pennylane_spec) as harness:
        yield harness
    harness.assert_no_spec_violations()


@pytest.fixture
def instance():
    """A Dagster test instance, entered (and so current) for the whole test.

    At teardown the test fails if it left another instance open. An instance opened in a ``with``
    (or by a context that opens one from a ref, as ``build_schedule_context(instance=...)`` does
    when it is not itself used in a ``with``) is the thread's current defs-state storage; dropped
    unclosed, the garbage collector later restores that storage, whose instance is gone, and the
    next ``materialize`` of whatever test runs then fails with "Attempted to resolve undefined
    DagsterInstance weakref" (order- and GC-dependent)."""
    import dagster as dg  # imported here: most tests never touch Dagster
    from dagster._core.storage.defs_state import base as defs_state

    with dg.instance_for_test() as inst:
        yield inst
    gc.collect()  # finalize what the test dropped without closing it
    if defs_state.DefsStateStorage.get() is not None:
        defs_state._current_storage.set(None)  # so that the tests after this one are not hit
        pytest.fail("this test left a Dagster instance open: close it, or use the context built "
                    "around it in a `with` block")
