"""The request rules every emulated operation shares: Pennylane's error bodies, the checks of
amounts, dates, VAT codes and bodies, the call context, multipart parsing and paging (cursor
lists and changelogs)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from emulators.pennylane import vat_codes
from emulators.pennylane.query import QueryError, decode_cursor, encode_cursor, paginate
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



Handler = Callable[["Ctx"], Awaitable[Any]]


class Ctx:
    """One API call: company, parsed query and body, base URL for ``url`` fields."""

    def __init__(self, app: Any, request: Request, company: dict[str, Any],
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
