"""One harness for end-to-end tests that post to the Pennylane emulator.

Every source's end-to-end test does the same thing: start the Pennylane emulator on a real
socket with the official spec checking every request, register the tenant's company, run the
day through :func:`pipelines.sales.steps.run_period`, read back what Pennylane holds and fail on
any spec violation. This module holds that once, so a test only states what differs: its source
emulator, its tenant and its hand-computed ledger lines.

- :class:`PennylaneHarness`: the emulator (start/stop, or ``with``), companies, clients, what it
  received (from its store, or read back through the public API) and the spec check.
- :func:`tenant_config`: a :class:`TenantConfig` from the few fields a test cares about.
- :func:`run_source_day`: one tenant-day, source → warehouse → Pennylane, with the result and the
  entries read back.
- :func:`load_sibling`: a sibling test module (its hand-computed day), loaded by path.

The ``pennylane_harness`` fixture (tests/conftest.py) gives a started harness that fails the test
at teardown on any spec violation.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from emulators.pennylane import PennylaneEmulator, create_app
from emulators.server import ServerThread
from pipelines.sales.steps import PeriodResult, run_period
from resources.pennylane import PennylaneClient
from resources.sources.base import SalesSource
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

API_PATH = "/api/external/v2"
DEFAULT_SIRET = "73282932000074"


class PennylaneHarness:
    """The Pennylane emulator on 127.0.0.1, validating every request (and its own responses)
    against the official spec.

    ``rate_limit_window`` shortens Pennylane's 25 requests / 5 s window so tests stay fast; pass
    5.0 for the real limit, or ``rate_limit=False`` for none. Use as ``with PennylaneHarness(...)
    as pl:`` or ``start()``/``stop()``.
    """

    def __init__(self, db_path: str | Path, spec: str | Path | None, *, rate_limit: bool = True,
                 rate_limit_window: float = 0.25):
        self.app: PennylaneEmulator = create_app(db_path, validate_spec=spec, rate_limit=rate_limit,
                                                 rate_limit_window=rate_limit_window)
        self._server: ServerThread | None = None
        self._clients: list[PennylaneClient] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PennylaneHarness:
        self._server = ServerThread(self.app).start()
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> PennylaneHarness:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the admin endpoints (``/_emulator/...``) live here."""
        if self._server is None:
            raise RuntimeError("the Pennylane harness is not started")
        return self._server.url

    @property
    def base_url(self) -> str:
        """The API base URL a tenant's ``pennylane.base_url`` points at."""
        return self.url + API_PATH

    # ------------------------------------------------------------------ companies and clients
    def company(self, token: str, name: str) -> str:
        """Register a company answering to ``token`` (through the admin endpoint); returns the token."""
        httpx.post(self.url + "/_emulator/companies", json={"token": token, "name": name}).raise_for_status()
        return token

    def client(self, token: str, *, tenant: str, **kwargs: Any) -> PennylaneClient:
        """The production client for the company of ``token``; closed when the harness stops."""
        client = PennylaneClient(token, self.base_url, tenant=tenant, **kwargs)
        self._clients.append(client)
        return client

    # ------------------------------------------------------------------ what Pennylane holds
    def received(self, token: str) -> list[dict[str, Any]]:
        """What the emulator holds for the company of ``token``: entries with their lines as
        (account number, debit, credit, label), sorted by date and piece number."""
        store = self.app.store
        company = store.company_for_token(token)
        accounts = {a["id"]: a["number"] for a in store.all("ledger_account", company["id"])}
        journals = {j["id"]: j["code"] for j in store.all("journal", company["id"])}
        out = []
        for e in store.all("ledger_entry", company["id"]):
            out.append({
                "date": e["date"], "label": e["label"], "piece_number": e["piece_number"],
                "journal": journals.get(e["journal_id"]),
                "lines": sorted((accounts[ln["ledger_account_id"]], ln["debit"], ln["credit"], ln["label"])
                                for ln in e["lines"]),
            })
        return sorted(out, key=lambda e: (e["date"], e["piece_number"]))

    @staticmethod
    def read_back(client: PennylaneClient) -> list[dict[str, Any]]:
        """The company's ledger entries read through the public API with the production client
        (``GET /ledger_entries``, then each entry's ``ledger_entry_lines``), in the API's order,
        each with its lines as sorted (account number, debit, credit, label)."""
        out = []
        for e in client.list_ledger_entries():
            lines = sorted((_account_number(ln["ledger_account"]), ln["debit"], ln["credit"], ln["label"])
                           for ln in client.list_ledger_entry_lines(e["id"]))
            out.append({"id": e["id"], "date": e["date"], "label": e["label"],
                        "piece_number": e.get("piece_number"), "lines": lines})
        return out

    def assert_no_spec_violations(self) -> None:
        """Fail the test if any request (or emulator response) broke the Pennylane spec."""
        if self.app.spec_violations:
            pytest.fail("requests that break the Pennylane spec:\n"
                        + "\n".join(map(str, self.app.spec_violations)))


def _account_number(account: dict[str, Any] | str) -> str:
    """A line's ``ledger_account``: an object with its number, or (older payloads) the number."""
    return account["number"] if isinstance(account, dict) else account


def tenant_config(slug: str, *, name: str, source: dict[str, Any], pennylane_base_url: str,
                  token_env: str, siret: str = DEFAULT_SIRET, start_date: str = "2025-01-01",
                  **accounting: Any) -> TenantConfig:
    """A validated tenant: ``source`` is the tenant file's ``source`` block, ``accounting`` its
    ``accounting`` options (``payment_methods=...``, ``sales_by=...``)."""
    doc: dict[str, Any] = {
        "slug": slug, "name": name, "siret": siret, "start_date": start_date, "source": source,
        "pennylane": {"token_env": token_env, "base_url": pennylane_base_url},
    }
    if accounting:
        doc["accounting"] = accounting
    return TenantConfig.model_validate(doc)


@dataclass
class SourceDayRun:
    """A day run through ``run_period``: its result and the entries Pennylane then held."""

    result: PeriodResult
    entries: list[dict[str, Any]]  # as PennylaneHarness.read_back gives them


def run_source_day(tenant: TenantConfig, day: str, source: SalesSource | None, harness: PennylaneHarness,
                   tmp_path: Path, *, token: str) -> SourceDayRun:
    """Run ``tenant``'s ``day`` end to end into the harness's company of ``token``, with a fresh
    SQLite warehouse under ``tmp_path``.

    ``source``: a source built by the test (closed here), or None to let ``run_period`` build the
    tenant's own. The entries are read back through the public API, as Pennylane serves them.
    """
    warehouse = Warehouse(f"sqlite:///{tmp_path}/warehouse.db")
    client = harness.client(token, tenant=tenant.slug)
    try:
        result = run_period(tenant, day, warehouse=warehouse, pennylane_client=client, source=source)
    finally:
        if source is not None:
            source.close()
    return SourceDayRun(result, harness.read_back(client))


def load_sibling(test_file: str | Path, filename: str, name: str | None = None) -> ModuleType:
    """The test module ``filename`` next to ``test_file``, loaded by path (with
    ``--import-mode=importlib`` test modules cannot be imported by name): end-to-end tests reuse
    the hand-computed days of the parser and client tests this way."""
    path = Path(test_file).with_name(filename)
    spec = importlib.util.spec_from_file_location(name or f"{path.stem}_shared", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
