"""Fixtures: the Pennylane emulator over a real socket, validating every request (and its own
responses) against ../shared/specs; a test fails if anything broke the spec."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from emulators.pennylane import PennylaneEmulator, create_app
from emulators.server import ServerThread, serve
from resources.http import RetryPolicy
from resources.pennylane import PennylaneClient

FAST_RETRIES = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.2)


@dataclass
class Emu:
    app: PennylaneEmulator
    server: ServerThread
    window: float
    tokens: list[str] = field(default_factory=list)
    admin: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return self.server.url + "/api/external/v2"

    def company(self, name: str = "Acme SAS", token: str | None = None, reg_no: str | None = None) -> str:
        token = token or f"tok-{uuid.uuid4().hex}"
        httpx.post(f"{self.url}/_emulator/companies",
                   json={"token": token, "name": name, "reg_no": reg_no}).raise_for_status()
        self.tokens.append(token)
        return token

    def client(self, token: str, **kwargs) -> PennylaneClient:
        kwargs.setdefault("retry_policy", FAST_RETRIES)
        kwargs.setdefault("rate_limit", (25, self.window))
        kwargs.setdefault("timeout", 5.0)
        return PennylaneClient(token, self.base_url, tenant=kwargs.pop("tenant", "acme"), **kwargs)

    def fault(self, **spec) -> None:
        httpx.post(f"{self.url}/_emulator/faults", json=spec).raise_for_status()

    def seed(self, kind: str, token: str, **doc) -> dict:
        r = self.admin.post(f"{self.url}/_emulator/seed/{kind}", json={"token": token, **doc})
        r.raise_for_status()
        return r.json()

    def summary(self) -> dict:
        return httpx.get(f"{self.url}/_emulator/summary").json()


def _emulator(tmp_path: Path, spec: Path, window: float) -> Iterator[Emu]:
    app = create_app(tmp_path / "pennylane.db", validate_spec=spec, rate_limit_window=window)
    with serve(app) as srv:
        yield Emu(app, srv, window)
    if app.spec_violations:
        pytest.fail("Pennylane spec violations:\n" + "\n".join(str(v) for v in app.spec_violations))


@pytest.fixture
def emu(tmp_path: Path, pennylane_spec: Path) -> Iterator[Emu]:
    """Emulator with a fast rate-limit window (25 requests / 0.25 s) so tests stay quick."""
    yield from _emulator(tmp_path, pennylane_spec, 0.25)


@pytest.fixture
def emu_real_limit(tmp_path: Path, pennylane_spec: Path) -> Iterator[Emu]:
    """Emulator with Pennylane's real limit: 25 requests / 5 s per token."""
    yield from _emulator(tmp_path, pennylane_spec, 5.0)
