"""Fixtures shared by the source tests.

``chift_validator``: validates EVERY request a test sends to the Chift emulator (and every
response whose status the spec documents) against ``specs/chift-api-openapi.json`` with
openapi-core, through httpx event hooks. Violations are collected and fail the test at teardown,
so a client that sends an undocumented parameter, a wrong date format or a page size out of
range fails even if the emulator happens to accept it.

Usage::

    def test_x(chift_validator):
        source = ChiftSource(tenant, event_hooks=chift_validator.hooks)
        ...
        assert chift_validator.checked > 0
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict


class _OpenAPIRequest:
    """An httpx request seen by openapi-core, as if sent to the spec's own server."""

    def __init__(self, request: httpx.Request, server: str):
        from openapi_core.datatypes import RequestParameters

        self._request = request
        self._server = server.rstrip("/")
        parts = urlsplit(str(request.url))
        self._path = parts.path
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, vs in parse_qs(parts.query).items() for v in vs]),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return self._server

    @property
    def path(self) -> str:
        return self._path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self._request.content
        return content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "application/json")


class _OpenAPIResponse:
    def __init__(self, response: httpx.Response):
        self._response = response

    @property
    def data(self) -> bytes:
        return self._response.content

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "")

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))


@dataclass
class SpecValidator:
    """Validates httpx traffic against one OpenAPI document; see the module docstring."""

    spec_file: Path | None
    name: str
    violations: list[str] = field(default_factory=list)
    checked: int = 0
    responses_checked: int = 0
    _openapi: object = None
    _server: str = ""
    _documented: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """False without the spec file (``make specs``): the hooks then check nothing."""
        return self.spec_file is not None

    def __post_init__(self) -> None:
        from openapi_core import Config, OpenAPI

        if self.spec_file is None:
            return
        raw = json.loads(self.spec_file.read_text(encoding="utf-8"))
        self._server = raw["servers"][0]["url"]
        self._documented = raw["paths"]
        # Skip the (slow) meta-validation of a 1.4 MB document: we validate traffic, not the spec.
        self._openapi = OpenAPI.from_dict(raw, config=Config(spec_validator_cls=None))

    @property
    def hooks(self) -> dict:
        return {"request": [self._on_request], "response": [self._on_response]} if self.active else {}

    def _on_request(self, request: httpx.Request) -> None:
        self.checked += 1
        errors = list(self._openapi.iter_request_errors(_OpenAPIRequest(request, self._server)))
        for err in errors:
            causes = "; ".join(str(c) for c in getattr(err, "schema_errors", []) or [])
            self.violations.append(f"{request.method} {request.url}: {err!r} {causes}".strip())

    def _on_response(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        template = self._template(request.method.lower(), urlsplit(str(request.url)).path)
        if template is None or str(response.status_code) not in template:
            return  # undocumented status (401, 429): its body shape is checked by the tests
        self.responses_checked += 1
        wrapped = _OpenAPIRequest(request, self._server)
        for err in self._openapi.iter_response_errors(wrapped, _OpenAPIResponse(response)):
            causes = "; ".join(str(c) for c in getattr(err, "schema_errors", []) or [])
            self.violations.append(
                f"response {response.status_code} to {request.method} {request.url}: {err!r} {causes}".strip())

    def _template(self, method: str, path: str) -> dict | None:
        """The documented responses of the operation matching ``path``, or None."""
        want = path.strip("/").split("/")
        for template, ops in self._documented.items():
            parts = template.strip("/").split("/")
            if len(parts) == len(want) and all(
                p.startswith("{") or p == w for p, w in zip(parts, want, strict=True)
            ) and method in ops:
                return ops[method].get("responses", {})
        return None

    def assert_clean(self) -> None:
        if self.violations:
            shown = "\n".join(self.violations[:20])
            pytest.fail(f"{len(self.violations)} request(s)/response(s) violate the {self.name} spec:\n{shown}")


@pytest.fixture(scope="session")
def _chift_openapi(chift_spec):
    return SpecValidator(chift_spec, "Chift")


@pytest.fixture
def chift_validator(_chift_openapi):
    """Hooks validating Chift traffic; the test fails at teardown on any spec violation."""
    _chift_openapi.violations.clear()
    _chift_openapi.checked = 0
    _chift_openapi.responses_checked = 0
    yield _chift_openapi
    _chift_openapi.assert_clean()
