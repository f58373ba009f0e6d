"""The Pennylane Company API v2 emulator (ASGI, Starlette primitives).

Paths, field names, status codes and error bodies follow
``../shared/specs/pennylane-company-api-v2-openapi.json``. The request pipeline, in order:

1. ``/_emulator/...`` admin endpoints (not in the spec): companies, faults, clock, seeding,
   summary, recorded spec violations.
2. Bearer token → company (401 ``{"error", "status"}`` for an unknown token).
3. Rate limit: 25 requests per 5 s per token (sliding window). Over it: 429 with
   ``retry-after`` and the ``ratelimit-*`` headers; those headers are on every response.
4. Fault injection (next N matching requests): 500/503/429, a timeout (sleep past the client's
   timeout), or commit-then-drop (store the POST, then abort the TCP connection).
5. With ``validate_spec``: the request is checked against the spec; a violation is recorded
   and answered with Pennylane's 400 ``{"message", "code"}``.
6. The operation, with Pennylane's business rules (balanced lines, ≤ 1000 lines, VAT codes,
   required fields, amounts as strings, unique journal codes / account numbers, ...).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from emulators.pennylane import handlers
from emulators.pennylane.admin import handle_admin
from emulators.pennylane.rules import PREFIX, ApiError, Ctx, Handler, bad_request, err
from emulators.pennylane.spec_check import SpecChecker, Violation
from emulators.pennylane.store import Store


class Fault:
    """One injected fault for the next ``count`` requests matching ``method``/``path``/``token``."""

    def __init__(self, spec: dict[str, Any]):
        self.kind = spec["kind"]  # status | timeout | drop
        if self.kind not in ("status", "timeout", "drop"):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        self.status = int(spec.get("status", 500))
        self.count = int(spec.get("count", 1))
        self.method = (spec.get("method") or "").upper() or None
        self.path = spec.get("path")  # substring of the request path
        self.token = spec.get("token")
        self.seconds = float(spec.get("seconds", 3.0))
        self.commit = bool(spec.get("commit", False))  # timeout: process the request, then sleep
        self.retry_after = int(spec.get("retry_after", 1))
        self.error = spec.get("error") or "Internal server error (injected)"  # status: the body's text

    def matches(self, method: str, path: str, token: str | None) -> bool:
        return (
            self.count > 0
            and (self.method is None or self.method == method)
            and (self.path is None or self.path in path)
            and (self.token is None or self.token == token)
        )


class RateLimiter:
    """Sliding window per token; returns (allowed, remaining, reset_epoch, retry_after_s)."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, token: str, enabled: bool) -> tuple[bool, int, int, int]:
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(token, deque())
            while calls and now - calls[0] >= self.window:
                calls.popleft()
            reset_in = (self.window - (now - calls[0])) if calls else self.window
            if enabled and len(calls) >= self.limit:
                return False, 0, math.ceil(time.time() + reset_in), max(1, math.ceil(reset_in))
            calls.append(now)
            remaining = max(0, self.limit - len(calls))
            return True, remaining, math.ceil(time.time() + (self.window - (now - calls[0]))), 0


class PennylaneEmulator:
    """The ASGI app. Build it with :func:`create_app`."""

    def __init__(self, db_path: str | Path, *, validate_spec: Path | str | None = None, rate_limit: bool = True,
                 rate_limit_requests: int = 25, rate_limit_window: float = 5.0):
        self.store = Store(db_path)
        self.checker = SpecChecker(validate_spec) if validate_spec else None
        self.rate_limit_enabled = rate_limit
        self.limiter = RateLimiter(rate_limit_requests, rate_limit_window)
        self.faults: list[Fault] = []
        self.spec_violations: list[Violation] = []
        self.stats = {"requests": 0, "throttled": 0, "faults_triggered": 0, "by_operation": {}}
        self._lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        handlers.register(self.route)

    # ------------------------------------------------------------- routing
    def route(self, method: str, path: str, scope: str, handler: Handler) -> None:
        pattern = re.compile("^" + PREFIX + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
        self.routes.append((method, pattern, scope, handler))

    def _match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        found_path = False
        for m, pattern, scope, handler in self.routes:
            hit = pattern.match(path)
            if hit:
                found_path = True
                if m == method:
                    return scope, handler, hit.groupdict()
        if found_path:
            raise err(404, f"No route matches [{method}] \"{path}\"")
        return None

    # ----------------------------------------------------------------- ASGI
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = scope["path"]
        if path.startswith("/_emulator"):
            response = await handle_admin(self, request)
            await response(scope, receive, send)
            return
        response, drop = await self._api(request)
        if drop:
            _abort_connection(receive)
            return
        await response(scope, receive, send)

    async def _api(self, request: Request) -> tuple[Response, bool]:
        method = request.method
        path = request.url.path
        params = dict(request.query_params)
        body = await request.body()
        token = _bearer(request)
        rl_headers: dict[str, str] = {}
        fault: Fault | None = None
        with self._lock:
            self.stats["requests"] += 1
        try:
            company = self.store.company_for_token(token) if token else None
            if company is None:
                raise err(401, "Unauthorized: the access token is invalid or expired")
            allowed, remaining, reset, retry_after = self.limiter.hit(token, self.rate_limit_enabled)
            rl_headers = {"ratelimit-limit": str(self.limiter.limit), "ratelimit-remaining": str(remaining),
                          "ratelimit-reset": str(reset)}
            if not allowed:
                with self._lock:
                    self.stats["throttled"] += 1
                return PlainTextResponse(
                    f"Rate limit exceeded. Please retry in {retry_after} seconds.", status_code=429,
                    headers={**rl_headers, "retry-after": str(retry_after)},
                ), False
            fault = self._take_fault(method, path, token)
            if fault is not None and fault.kind == "status":
                headers = dict(rl_headers)
                if fault.status == 429:
                    headers.update({"retry-after": str(fault.retry_after), "ratelimit-remaining": "0"})
                    return PlainTextResponse(
                        f"Rate limit exceeded. Please retry in {fault.retry_after} seconds.", status_code=429,
                        headers=headers,
                    ), False
                return JSONResponse({"error": fault.error, "status": fault.status},
                                    status_code=fault.status, headers=headers), False
            if fault is not None and fault.kind == "timeout" and not fault.commit:
                await asyncio.sleep(fault.seconds)
                return JSONResponse({"error": "Gateway timeout (injected)", "status": 503}, status_code=503,
                                    headers=rl_headers), False
            matched = self._match(method, path)
            if matched is None:
                raise err(404, f"No route matches [{method}] \"{path}\"")
            scope_name, handler, path_args = matched
            self._check_scope(company, scope_name, method)
            if self.checker is not None:
                problem = self.checker.check_request(method, path, params, body, request.headers.get("content-type"))
                if problem:
                    self.spec_violations.append(Violation("request", method, path, problem))
                    raise bad_request(f"Request does not match the API specification: {problem}")
            ctx = Ctx(self, request, company, params, body, path_args)
            status, payload = await handler(ctx)
            with self._lock:
                key = f"{method} {handler.__name__}"
                self.stats["by_operation"][key] = self.stats["by_operation"].get(key, 0) + 1
            response = JSONResponse(payload, status_code=status, headers=rl_headers) if payload is not None \
                else Response(status_code=status, headers=rl_headers)
        except ApiError as exc:
            if isinstance(exc.body, str):
                response = PlainTextResponse(exc.body, status_code=exc.status, headers=rl_headers)
            else:
                response = JSONResponse(exc.body, status_code=exc.status, headers=rl_headers)
        if self.checker is not None and response.status_code not in (429,) and response.body:
            problem = self.checker.check_response(
                method, path, params, response.status_code, response.body, response.media_type or "application/json"
            )
            if problem:
                self.spec_violations.append(Violation("response", method, path, problem))
        if fault is not None and fault.kind == "timeout":  # commit=True: processed, answer too late
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "drop":
            return response, True
        return response, False

    def _take_fault(self, method: str, path: str, token: str | None) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, token):
                    fault.count -= 1
                    self.stats["faults_triggered"] += 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _check_scope(self, company: dict[str, Any], scope_name: str, method: str) -> None:
        scopes = set(json.loads(company["scopes"]))
        if scope_name == "me":
            return
        needed_all = f"{scope_name}:all"
        if method == "GET" and (f"{scope_name}:readonly" in scopes or needed_all in scopes):
            return
        if needed_all in scopes:
            return
        raise err(403, f"Missing scope: {needed_all if method != 'GET' else scope_name + ':readonly'}")

    def add_fault(self, spec: dict[str, Any]) -> None:
        with self._lock:
            self.faults.append(Fault(spec))


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def _abort_connection(receive) -> None:
    """Commit-then-drop: close the TCP connection without an HTTP response.

    Under uvicorn, ``receive`` is a bound method of the connection's request cycle, which holds
    the asyncio transport; aborting it makes the client see a connection error after the
    request was fully processed and stored. In-process (no socket) we raise instead.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("emulator dropped the connection after committing (injected fault)")
    transport.abort()


def create_app(db_path: str | Path, *, validate_spec: Path | str | None = None, rate_limit: bool = True,
               rate_limit_requests: int = 25, rate_limit_window: float = 5.0) -> PennylaneEmulator:
    """The emulator app over the SQLite file ``db_path`` (created if missing).

    ``validate_spec``: path of the OpenAPI spec; every request (and response) is checked and
    violations recorded in ``app.spec_violations``. ``rate_limit_window``: shorten the 5 s
    window for fast tests (the real 25 / 5 s is measured by the bench).
    """
    return PennylaneEmulator(db_path, validate_spec=validate_spec, rate_limit=rate_limit,
                             rate_limit_requests=rate_limit_requests, rate_limit_window=rate_limit_window)
