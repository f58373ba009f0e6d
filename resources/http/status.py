"""The one table from an HTTP error status to the four error classes of :mod:`core.errors`.

Every vendor client (the sales sources and Pennylane) maps an error answer still standing after
retries through :func:`status_class`, so a given status means the same thing everywhere and the
alert goes to the person who can fix it:

- ``mapping``   the tenant's setup: credentials refused or expired, a scope missing, a configured
                id (location, consumer, journal, record) that does not exist, an endpoint the
                connector behind a unified API does not offer;
- ``source``    the vendor refuses or conflicts with the content built from the day's data;
- ``transient`` the vendor is busy or down: retried with backoff, alert only when retries run out;
- ``bug``       the request breaks the API contract (we built it) or a status nobody expects.

One rule sits beside the table: a *credential exchange* (``POST /token`` and the like) answered
with a 4xx means the credentials were refused (OAuth answers ``400 invalid_grant``, Chift ``422``),
so it is a ``mapping`` error whatever the 4xx, unless the table calls it transient (408, 429).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from core.errors import ErrorClass, MappingError, SourceDataError, SyncError, TransientError

BUG, MAPPING, SOURCE, TRANSIENT = ErrorClass.BUG, ErrorClass.MAPPING, ErrorClass.SOURCE, ErrorClass.TRANSIENT
STATUS_CLASSES: dict[int, ErrorClass] = {
    400: BUG,  # the request breaks the API contract: our code built it
    401: MAPPING,  # credentials refused (after one token refresh), expired or revoked
    403: MAPPING,  # a scope or permission is missing
    404: MAPPING,  # a configured id (location, consumer, journal, record) does not exist
    405: MAPPING,  # the connector behind a unified API (Chift) does not offer this endpoint
    408: TRANSIENT,  # the server timed out waiting for the request
    409: SOURCE,  # the content conflicts with what the vendor holds
    422: SOURCE,  # the vendor refuses the content built from the day's data
    425: TRANSIENT,  # too early: replay later
    429: TRANSIENT,  # rate limited: wait (Retry-After) and send again
}



class AmbiguousRequestError(TransientError):
    """A non-idempotent request was sent and its answer lost: it may have been processed."""


# Error class → exception type. A client may pass its own subclasses, an ``"ambiguous"`` type for
# a write whose outcome is unknown, and a finer subclass for one status (Pennylane: 404 →
# ``PennylaneNotFoundError``, a mapping error).
ErrorTypes = dict[str | int, type[SyncError]]
ERROR_TYPES: ErrorTypes = {
    "source": SourceDataError,
    "mapping": MappingError,
    "transient": TransientError,
    "bug": SyncError,
    "ambiguous": AmbiguousRequestError,
}


def status_class(status: int, *, credential_exchange: bool = False) -> ErrorClass:
    """The error class of an HTTP error ``status`` (4xx or 5xx)."""
    if status < 400:
        raise ValueError(f"HTTP {status} is not an error status")
    cls = STATUS_CLASSES.get(status, TRANSIENT if status >= 500 else BUG)
    if credential_exchange and status < 500 and cls != TRANSIENT:
        return MAPPING
    return cls


def is_transient(status: int) -> bool:
    """Worth sending again (the same request may succeed later): 408, 425, 429 and 5xx."""
    return status >= 400 and status_class(status) == TRANSIENT


def error_detail(response: httpx.Response, limit: int = 300) -> str:
    """What the vendor said, from the error bodies the vendors use.

    ``{"errors": [{"code", "detail"}]}`` (Square), ``{"errors": "..."}`` (Shopify),
    ``{"code", "message"}`` (WooCommerce, Pennylane's ``error``/``message``/``field``),
    ``{"error", "error_description"}`` (OAuth: Zettle, Hiboutik), ``{"errno", "errmsg"}`` (Zelty),
    ``{"message", "detail": [{"loc", "msg"}]}`` (Chift); else the text of the body.
    """
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:limit] or response.reason_phrase
    if not isinstance(body, dict):
        return json.dumps(body, ensure_ascii=False)[:limit]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
        return "; ".join(_code_text(e.get("code"), e.get("detail") or e.get("message")) for e in errors)[:limit]
    if isinstance(errors, str) and errors:
        return errors[:limit]
    if isinstance(errors, dict) and errors:
        return "; ".join(f"{k}: {v}" for k, v in errors.items())[:limit]
    text = _first(body, "error_description", "message", "errmsg")
    code = _first(body, "code", "error")
    detail = body.get("detail")
    if isinstance(detail, list) and detail:
        text = " ".join(filter(None, [text, "; ".join(_loc_msg(d) for d in detail)]))
    elif isinstance(detail, str) and detail:
        text = f"{text} ({detail})" if text else detail
    out = _code_text(code if code != text else None, text)
    if body.get("field"):
        out = f"{out} (field {body['field']})"
    return (out or json.dumps(body, ensure_ascii=False))[:limit]


def _first(body: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _code_text(code: Any, text: Any) -> str:
    return ": ".join(str(x) for x in (code, text) if x)


def _loc_msg(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    return f"{'.'.join(map(str, item.get('loc', [])))}: {item.get('msg')}"


def status_error(
    status: int,
    message: str,
    *,
    credential_exchange: bool = False,
    types: ErrorTypes = ERROR_TYPES,
    tenant: str | None = None,
    details: dict[str, Any] | None = None,
    **extra: Any,
) -> SyncError:
    """The exception for an error answer: its class from the table, its type from ``types``,
    ``details["status"]`` set."""
    cls = status_class(status, credential_exchange=credential_exchange)
    error_type = types.get(status, types[cls])
    if not issubclass(error_type, types[cls]):
        raise TypeError(f"{error_type.__name__} for HTTP {status} is not a {types[cls].__name__}")
    return error_type(message, tenant=tenant, details={**(details or {}), "status": status}, **extra)
