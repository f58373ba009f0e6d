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
import email.parser
import email.policy
import hashlib
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from emulators.pennylane import vat_codes
from emulators.pennylane.query import QueryError, decode_cursor, encode_cursor, paginate
from emulators.pennylane.spec_check import SpecChecker, Violation
from emulators.pennylane.store import CHANGELOG_RESOURCES, Store, iso, parse_ts

PREFIX = "/api/external/v2"
MAX_ENTRY_LINES = 1000
RETENTION = timedelta(weeks=4)
AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any] | str):
        self.status = status
        self.body = body


def err(status: int, message: str) -> ApiError:
    """Pennylane's ``{"error": ..., "status": ...}`` shape (401/403/404/422 and some 400s)."""
    return ApiError(status, {"error": message, "status": status})


def bad_request(message: str, field: str | None = None, code: str = "ValidateError") -> ApiError:
    body: dict[str, Any] = {"message": message, "code": code}
    if field:
        body["field"] = field
    return ApiError(400, body)


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_amount(value: Any, field: str) -> Decimal:
    """Amounts travel as strings ("12.34"); a number is a 400 as in Pennylane."""
    if not isinstance(value, str):
        raise bad_request(f"{field} must be sent as a string (e.g. \"120.00\"), got {value!r}", field)
    if not AMOUNT_RE.match(value):
        raise bad_request(f"{field} is not a decimal amount: {value!r}", field)
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise bad_request(f"{field} is not a decimal amount: {value!r}", field) from exc


def check_body(body: Any, required: tuple[str, ...], allowed: tuple[str, ...], where: str = "") -> dict[str, Any]:
    """The emulator's own minimal schema check (works without the spec)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object", code="NotAnyOf")
    for key in required:
        if key not in body or body[key] is None:
            raise bad_request(f"{where}{key} is required", f"{where}{key}", "NotExistRequiredKey")
    for key in body:
        if key not in allowed:
            raise bad_request(f"{where}{key} is not a known property", f"{where}{key}", "NotExistPropertyDefinition")
    return body


def check_date(value: Any, field: str) -> str:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise bad_request(f"{field} must be an ISO 8601 date (YYYY-MM-DD), got {value!r}", field, "InvalidDateFormat")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"{field} is not a valid date: {value!r}", field, "InvalidDateFormat") from exc
    return value


def check_vat(value: Any, field: str, codes: frozenset[str] = vat_codes.PRODUCT_VAT_CODES) -> str:
    if value not in codes:
        raise bad_request(f"{field} {value!r} is not a Pennylane VAT code (e.g. FR_200, FR_55)", field, "NotEnumInclude")
    return value


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


Handler = Callable[["Ctx"], Awaitable[Any]]


class Ctx:
    """One API call: company, parsed query and body, base URL for ``url`` fields."""

    def __init__(self, app: PennylaneEmulator, request: Request, company: dict[str, Any],
                 params: dict[str, str], body: bytes, path_args: dict[str, str]):
        self.app = app
        self.store = app.store
        self.request = request
        self.company = company
        self.cid: int = company["id"]
        self.params = params
        self.raw_body = body
        self.args = path_args
        self.base = str(request.base_url).rstrip("/") + PREFIX

    def json(self) -> Any:
        try:
            return json.loads(self.raw_body or b"null")
        except ValueError as exc:
            raise bad_request("The request body is not valid JSON", code="NotAnyOf") from exc

    def id_arg(self, name: str = "id") -> int:
        try:
            return int(self.args[name])
        except ValueError as exc:
            raise err(404, f"Couldn't find record with 'id'={self.args[name]}") from exc

    def now(self) -> str:
        return iso(self.store.now())

    def url(self, *parts: Any) -> str:
        return "/".join([self.base, *(str(p) for p in parts)])


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
        from emulators.pennylane import handlers

        handlers.register(self)

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
            from emulators.pennylane.admin import handle_admin

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


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Minimal multipart/form-data parser (no python-multipart dependency)."""
    if "multipart/form-data" not in content_type:
        raise bad_request("The request must be multipart/form-data", code="NotAMultipartFile")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        fields[str(name)] = (filename, part.get_payload(decode=True) or b"")
    return fields


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ts_or_now(value: str | None, now: str) -> str:
    return value or now


def within_retention(store: Store, start: str) -> datetime:
    try:
        when = parse_ts(start)
    except ValueError as exc:
        raise bad_request(f"start_date must be an RFC 3339 date-time, got {start!r}", "start_date",
                          "InvalidDateTimeFormat") from exc
    if when.tzinfo is None:
        raise bad_request("start_date must include a time zone (RFC 3339)", "start_date", "InvalidDateTimeFormat")
    if when < store.now() - RETENTION:
        raise err(422, "start_date is older than the changelog retention period (4 weeks)")
    return when


def changelog_page(ctx: Ctx, resource: str) -> dict[str, Any]:
    params = ctx.params
    if params.get("start_date") and params.get("cursor"):
        raise err(400, "start_date and cursor cannot be used together")
    limit_raw = params.get("limit")
    try:
        limit = int(limit_raw) if limit_raw is not None else 20
    except ValueError as exc:
        raise bad_request("limit must be an integer between 1 and 1000", "limit") from exc
    if not 1 <= limit <= 1000:
        raise bad_request("limit must be between 1 and 1000", "limit", "MoreThanMaximum")
    since = within_retention(ctx.store, params["start_date"]) if params.get("start_date") else None
    after = decode_cursor(params["cursor"]) if params.get("cursor") else 0
    if resource not in CHANGELOG_RESOURCES:
        return {"items": [], "has_more": False, "next_cursor": None}
    rows = list(ctx.store.changes(ctx.cid, resource, after_seq=after, since=since,
                                  not_before=ctx.store.now() - RETENTION))
    page = rows[:limit]
    has_more = len(rows) > limit
    items = [{"id": r["record_id"], "operation": r["operation"], "processed_at": r["processed_at"],
              "updated_at": r["updated_at"], "created_at": r["created_at"]} for r in page]
    # The cursor is positional; when a page is empty the client keeps its previous cursor.
    next_cursor = encode_cursor(page[-1]["seq"]) if page else (params.get("cursor") or None)
    return {"items": items, "has_more": has_more, "next_cursor": next_cursor}


def page_response(ctx: Ctx, endpoint: str, records: list[dict[str, Any]],
                  serialize: Callable[[dict[str, Any]], dict[str, Any]],
                  getter: Callable[[dict[str, Any], str], Any] | None = None,
                  legacy: bool = False) -> dict[str, Any]:
    try:
        page, has_more, cursor = paginate(endpoint, records, ctx.params, getter or (lambda r, f: r.get(f)))
    except QueryError as exc:
        raise err(400, str(exc)) from exc
    out: dict[str, Any] = {}
    if legacy:  # endpoints that moved to cursors in 2026 keep the old page fields, null
        out = {"total_pages": None, "current_page": None, "total_items": None, "per_page": None}
    out.update({"items": [serialize(r) for r in page], "has_more": has_more, "next_cursor": cursor})
    return out


def create_app(db_path: str | Path, *, validate_spec: Path | str | None = None, rate_limit: bool = True,
               rate_limit_requests: int = 25, rate_limit_window: float = 5.0) -> PennylaneEmulator:
    """The emulator app over the SQLite file ``db_path`` (created if missing).

    ``validate_spec``: path of the OpenAPI spec; every request (and response) is checked and
    violations recorded in ``app.spec_violations``. ``rate_limit_window``: shorten the 5 s
    window for fast tests (the real 25 / 5 s is measured by the bench).
    """
    return PennylaneEmulator(db_path, validate_spec=validate_spec, rate_limit=rate_limit,
                             rate_limit_requests=rate_limit_requests, rate_limit_window=rate_limit_window)
