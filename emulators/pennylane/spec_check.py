"""Validation of requests (and the emulator's own responses) against the official OpenAPI spec.

Used only when the app is built with ``validate_spec=<path>`` (the tests do it with
``../shared/specs/pennylane-company-api-v2-openapi.json``); the demo runs without a spec and
relies on the emulator's own rules. Every violation is recorded on the app
(``app.spec_violations``) so that a test fixture can fail the test that caused it: a request
the spec rejects is a client bug, a response the spec rejects is an emulator bug.
"""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC_HOST = "https://app.pennylane.com"  # the spec's server; requests are checked as if sent there


@dataclass(frozen=True)
class Violation:
    kind: str  # "request" | "response"
    method: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path}: {self.message}"


@functools.lru_cache(maxsize=4)
def load_spec(path: str) -> OpenAPI:
    """Parse the spec once per process (skipping the slow meta-validation of the spec itself)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


def _describe(errors: list[Exception]) -> str:
    parts = []
    for err in errors:
        cause = err.__cause__
        detail = ""
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            detail = "; ".join(
                f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in schema_errors
            )
        elif cause is not None:
            detail = str(cause)
        name = getattr(err, "name", None)
        parts.append(f"{type(err).__name__}{f' {name}' if name else ''}{': ' + detail if detail else ''}")
    return " | ".join(parts)


class SpecChecker:
    def __init__(self, spec_path: Path | str):
        self.openapi = load_spec(str(spec_path))

    def check_request(self, method: str, path: str, query: dict[str, str], body: bytes | None,
                      content_type: str | None) -> str | None:
        request = MockRequest(
            SPEC_HOST, method.lower(), path, args=query, data=body or None,
            content_type=content_type or "application/json",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unsupported scheme type" (oauth2): auth is checked by the app
            errors = list(self.openapi.iter_request_errors(request))
        errors = [e for e in errors if "Security" not in type(e).__name__]
        return _describe(errors) if errors else None

    def check_response(self, method: str, path: str, query: dict[str, str], status: int, body: bytes,
                       content_type: str) -> str | None:
        request = MockRequest(SPEC_HOST, method.lower(), path, args=query)
        response = MockResponse(body, status_code=status, content_type=content_type)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            errors = list(self.openapi.iter_response_errors(request, response))
        return _describe(errors) if errors else None
