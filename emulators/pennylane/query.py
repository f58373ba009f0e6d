"""List endpoints: ``filter`` parsing, sorting and cursor pagination as Pennylane does them.

- ``filter`` is a JSON string ``[{"field", "operator", "value"}]``; each endpoint allows a set of
  fields and, per field, a set of operators (taken from the spec's parameter descriptions).
  Anything else is a 400, as is a form-encoded array.
- ``sort`` is ``id``/``-id`` (some endpoints also ``date``); default ``-id``.
- The cursor is opaque and temporary and does NOT carry filter or sort: the client re-sends
  them on every page. Here it encodes the position (last id or changelog sequence) only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

ALL = ("lt", "lteq", "gt", "gteq", "eq", "not_eq", "in", "not_in")
CMP = ("lt", "lteq", "gt", "gteq", "eq", "not_eq")


class QueryError(Exception):
    """A 400 with ``{"error": message, "status": 400}``."""


# endpoint -> field -> allowed operators (from the spec's `filter` parameter descriptions)
FILTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "journals": {"type": ("eq", "not_eq", "in", "not_in")},
    "ledger_accounts": {"id": ALL, "number": ("start_with", "eq", "in"), "enabled": ("eq",)},
    "ledger_entries": {"id": ALL, "date": CMP, "journal_id": ALL},
    "ledger_entry_lines": {"id": ALL, "journal_id": ALL, "ledger_account_id": ALL, "date": ALL},
    "entry_lines_of_entry": {"ledger_account_id": ALL},
    "customers": {
        "id": ALL, "customer_type": ("eq", "not_eq"), "ledger_account_id": ("eq", "not_eq"),
        "name": ("start_with", "eq"), "external_reference": ("start_with", "eq", "not_eq", "in", "not_in"),
        "reg_no": ("eq", "not_eq", "in", "not_in"), "emails": ("in",),
    },
    "products": {
        "id": ALL, "label": ("eq", "in"), "reference": ("eq", "in"),
        "external_reference": ("eq", "not_eq", "in", "not_in"),
    },
    "customer_invoices": {
        "id": ALL, "date": ALL, "customer_id": ALL, "billing_subscription_id": ALL, "quote_id": ALL,
        "invoice_number": ("eq", "not_eq", "in", "not_in"), "draft": ("eq",), "credit_note": ("eq",),
        "external_reference": ("eq",), "category_id": ("in",),
    },
    "commercial_documents": {"id": ALL, "customer_id": ALL, "document_type": ("eq", "not_eq", "in", "not_in")},
    "suppliers": {
        "id": ALL, "ledger_account_id": ("eq", "not_eq"), "name": ("start_with",),
        "external_reference": ("eq", "not_eq", "in", "not_in"), "emails": ("in",),
    },
    "supplier_invoices": {
        "id": ALL, "supplier_id": ALL, "invoice_number": ("eq", "not_eq", "in", "not_in"), "date": ALL,
        "category_id": ("in",), "external_reference": ("eq", "not_eq", "in", "not_in"),
        "payment_status": ("eq", "not_eq", "in", "not_in"),
    },
    "file_attachments": {"id": ALL},
}
SORTS: dict[str, tuple[str, ...]] = {
    "ledger_entries": ("id", "date"), "customer_invoices": ("id", "date"), "supplier_invoices": ("id", "date"),
    "ledger_entry_lines": ("id", "date"),
}
MAX_LIMIT: dict[str, int] = {"ledger_accounts": 1000}


def parse_filter(endpoint: str, raw: str | None) -> list[tuple[str, str, Any]]:
    if raw is None or raw == "":
        return []
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise QueryError(f"The filter's value ({raw}) is not valid JSON") from exc
    if not isinstance(parsed, list):
        raise QueryError(f"The filter's value ({raw}) should be an array of filters")
    allowed = FILTERS.get(endpoint, {})
    out = []
    for item in parsed:
        if not isinstance(item, dict) or set(item) != {"field", "operator", "value"}:
            raise QueryError(f"Each filter must be an object with field, operator and value; got {item!r}")
        field, op, value = item["field"], item["operator"], item["value"]
        if field not in allowed:
            raise QueryError(f"Filtering on field '{field}' is not allowed. Allowed fields: {', '.join(allowed)}")
        if op not in allowed[field]:
            raise QueryError(
                f"Operator '{op}' is not allowed on field '{field}'. Allowed: {', '.join(allowed[field])}"
            )
        if op in ("in", "not_in"):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise QueryError(f"The value of operator '{op}' on '{field}' must be an array")
        out.append((field, op, value))
    return out


def _coerce(actual: Any, wanted: Any) -> tuple[Any, Any]:
    if isinstance(actual, bool):
        return actual, str(wanted).lower() in ("true", "1")
    if isinstance(actual, int):
        try:
            return actual, int(wanted)
        except (TypeError, ValueError):
            return str(actual), str(wanted)
    return ("" if actual is None else str(actual)), str(wanted)


def matches(record: dict[str, Any], filters: list[tuple[str, str, Any]],
            getter: Callable[[dict[str, Any], str], Any]) -> bool:
    for field, op, value in filters:
        actual = getter(record, field)
        if op in ("in", "not_in"):
            if isinstance(actual, list):  # emails: any of
                hit = any(str(a) in {str(v) for v in value} for a in actual)
            else:
                hit = any(_coerce(actual, v)[0] == _coerce(actual, v)[1] for v in value)
            if hit != (op == "in"):
                return False
            continue
        if op == "start_with":
            if not str(actual or "").startswith(str(value)):
                return False
            continue
        if actual is None and op not in ("eq", "not_eq"):
            return False
        a, v = _coerce(actual, value)
        if not _compare(op, a, v):
            return False
    return True


def _compare(op: str, a: Any, v: Any) -> bool:
    if op == "eq":
        return a == v
    if op == "not_eq":
        return a != v
    try:
        return {"lt": a < v, "lteq": a <= v, "gt": a > v, "gteq": a >= v}[op]
    except TypeError:
        return False


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, pos = text.partition(":")
        if kind != "pos":
            raise ValueError(text)
        return int(pos)
    except Exception as exc:
        raise QueryError(f"The cursor {cursor!r} is invalid or has expired") from exc


def parse_limit(endpoint: str, raw: str | None, default: int = 20) -> int:
    maximum = MAX_LIMIT.get(endpoint, 100)
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError as exc:
        raise QueryError(f"limit must be an integer between 1 and {maximum}") from exc
    if not 1 <= limit <= maximum:
        raise QueryError(f"limit must be between 1 and {maximum}")
    return limit


def paginate(endpoint: str, records: list[dict[str, Any]], params: dict[str, str],
             getter: Callable[[dict[str, Any], str], Any]) -> tuple[list[dict[str, Any]], bool, str | None]:
    """Filter, sort and cut one page. Returns (items, has_more, next_cursor)."""
    filters = parse_filter(endpoint, params.get("filter"))
    limit = parse_limit(endpoint, params.get("limit"))
    sort = params.get("sort") or "-id"
    key = sort.lstrip("-")
    if key not in SORTS.get(endpoint, ("id",)):
        raise QueryError(f"Sorting on '{key}' is not allowed")
    desc = sort.startswith("-")
    rows = [r for r in records if matches(r, filters, getter)]
    # Position = index in the sorted list, keyed by (sort key, id): stable across pages.
    rows.sort(key=lambda r: (str(getter(r, key) or "") if key != "id" else r["id"], r["id"]), reverse=desc)
    start = decode_cursor(params["cursor"]) if params.get("cursor") else 0
    page = rows[start:start + limit]
    has_more = start + limit < len(rows)
    return page, has_more, (encode_cursor(start + limit) if has_more else None)
