"""The vendor HTTP base every client is built on: one ``httpx.Client`` per vendor account with
its auth, the retry rules of :mod:`resources.http.retry`, the status table of
:mod:`resources.http.status` and ``Link`` paging.

A connector keeps only what is its vendor's own: URLs and parameters, its paging when it is not
a ``Link`` header, a hint telling the user what to fix per error class, and its parsing.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

from core.errors import SourceDataError, SyncError, TransientError
from resources.http.limiter import SlidingWindowLimiter
from resources.http.retry import RetryPolicy, send_with_retries
from resources.http.status import (
    ERROR_TYPES,
    AmbiguousRequestError,
    ErrorTypes,
    error_detail,
    status_class,
    status_error,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_HINTS: dict[str | int, str] = {
    "transient": "still failing after retries",
    "bug": "the request breaks the vendor's API contract",
}


class VendorClient:
    """One vendor API for one tenant's account.

    ``hints`` (error class, or a status for a finer one → what the user should do) end the error
    messages, e.g. ``{"mapping": "check the Zelty API key"}``. ``types`` lets a client raise its own subclasses
    of the four error classes (Pennylane does). ``retries`` lists every retry with its reason;
    ``requests_sent`` counts every request on the wire (retries and token requests included).
    """

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        tenant: str | None = None,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
        limiter: SlidingWindowLimiter | None = None,
        hints: dict[str | int, str] | None = None,
        types: ErrorTypes = ERROR_TYPES,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        event_hooks: dict[str, list[Callable]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.vendor = vendor
        self.tenant = tenant
        self.policy = policy or RetryPolicy()
        self.limiter = limiter
        self.hints = {**DEFAULT_HINTS, **(hints or {})}
        self.types: ErrorTypes = {**ERROR_TYPES, **types}
        self.retries: list[str] = []
        self.requests_sent = 0
        self._sleep = sleep
        self._count_lock = threading.Lock()
        hooks = {k: list(v) for k, v in (event_hooks or {}).items()}
        hooks.setdefault("request", []).append(self._count)
        self.http = httpx.Client(
            base_url=base_url, auth=auth, params=params, timeout=timeout, transport=transport, event_hooks=hooks,
            headers={"Accept": "application/json", "User-Agent": "pennylane-sync/0.1", **(headers or {})},
        )

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def _count(self, _request: httpx.Request) -> None:
        with self._count_lock:
            self.requests_sent += 1

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sending
    def send(self, request: httpx.Request, *, what: str | None = None, idempotent: bool | None = None,
             auth: httpx.Auth | object | None = httpx.USE_CLIENT_DEFAULT) -> httpx.Response:
        """Send with the retry rules; ``idempotent`` defaults to "the method is a read".

        Returns the last response whatever its status (see :meth:`error`)."""
        what = what or self.describe(request)
        if idempotent is None:
            idempotent = request.method in SAFE_METHODS

        def on_retry(_attempt: int, why: str) -> None:
            self.retries.append(f"{what}: {why}")

        try:
            return send_with_retries(self.http, request, idempotent=idempotent, policy=self.policy,
                                     limiter=self.limiter, what=what, on_retry=on_retry, auth=auth,
                                     sleep=self._sleep)
        except AmbiguousRequestError as exc:
            raise self._typed("ambiguous", exc) from exc.__cause__
        except TransientError as exc:
            raise self._typed("transient", exc) from exc.__cause__

    def _typed(self, key: str, exc: SyncError) -> SyncError:
        """``exc`` as this client's type for ``key`` (Pennylane has its own), with the tenant."""
        wanted = self.types[key]
        if isinstance(exc, wanted):
            return exc.with_context(tenant=self.tenant)
        return wanted(exc.message, tenant=exc.tenant or self.tenant, day=exc.day, record=exc.record,
                      field_name=exc.field_name, details=exc.details)

    def request(self, method: str, url: str, *, what: str | None = None, idempotent: bool | None = None,
                allow: frozenset[int] = frozenset(), credential_exchange: bool = False,
                auth: httpx.Auth | object | None = httpx.USE_CLIENT_DEFAULT, **kwargs: Any) -> httpx.Response:
        """Build, send, and raise the table's error for an error status not in ``allow``."""
        request = self.http.build_request(method, url, **kwargs)
        what = what or self.describe(request)
        response = self.send(request, what=what, idempotent=idempotent, auth=auth)
        if response.status_code >= 400 and response.status_code not in allow:
            raise self.error(response, what, credential_exchange=credential_exchange)
        return response

    def get(self, url: str, params: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, params=params, **kwargs)

    def get_json(self, url: str, params: Any = None, *, exact: bool = False, **kwargs: Any) -> Any:
        """GET and decode; ``exact``: JSON numbers with a fraction come back as ``Decimal``."""
        return self.decoded(lambda: self.get(url, params, **kwargs), kwargs.get("what") or f"{self.vendor} GET {url}",
                            exact=exact)[1]

    def decoded(self, fetch: Callable[[], httpx.Response], what: str, *, exact: bool = False
                ) -> tuple[httpx.Response, Any]:
        """``fetch()`` and its JSON body. A success answered with a body that is not JSON (an HTML
        maintenance page, a body cut short) is *transient*: fetched again with the read backoff,
        then a *source* error naming the request (``record``) and the body (``field``)."""
        for attempt in range(1, self.policy.max_attempts + 1):
            response = fetch()
            try:
                return response, json_of(response, exact=exact)
            except ValueError:
                why = _not_json(response)
                if attempt == self.policy.max_attempts:
                    raise SourceDataError(f"{what}: HTTP {response.status_code} {why}, still after "
                                          f"{attempt} attempts", tenant=self.tenant, record=what,
                                          field_name="(response body)") from None
                delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
                self.retries.append(f"{what}: {why}, retrying in {delay:.2f}s")
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def link_pages(self, url: str, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        """The decoded body of every page of a list paged by ``Link: <…>; rel="next"`` (RFC 8288).
        ``params`` go on the first request only: the next link carries the cursor and whatever must
        follow it. A next link to another scheme, host or port than the base URL is a *source*
        error and is never requested: the credentials would go with it."""
        next_url: str | None = url
        while next_url:
            response, body = self.decoded(functools.partial(self.get, next_url, params, **kwargs),
                                          kwargs.get("what") or f"{self.vendor} GET {next_url}")
            yield body
            link = response.links.get("next", {}).get("url")
            next_url = str(response.request.url.join(link)) if link else None
            if next_url is not None:
                self.check_same_origin(next_url, what=f"{self.describe(response.request)}: Link rel=\"next\"")
            params = None

    def check_same_origin(self, url: str, *, what: str) -> None:
        """``url`` must be on the base URL's scheme, host and port (a vendor's paging link, a
        redirect): anywhere else is a *source* error, raised before anything is sent there."""
        target, base = httpx.URL(url), self.http.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise SourceDataError(
                f"{what} points to {target.scheme}://{target.host}"
                f"{f':{target.port}' if target.port else ''}, not the configured {base.scheme}://{base.host}"
                f"{f':{base.port}' if base.port else ''}; not followed (the credentials would be sent there)",
                tenant=self.tenant, record=what, field_name="Link")

    # ------------------------------------------------------------------- errors
    def describe(self, request: httpx.Request) -> str:
        return f"{self.vendor} {request.method} {request.url.path}"

    def error(self, response: httpx.Response, what: str, *, credential_exchange: bool = False,
              **extra: Any) -> SyncError:
        """The exception for an error answer, class from the status table, with the vendor's own
        words and the hint for that class."""
        status = response.status_code
        cls = status_class(status, credential_exchange=credential_exchange)
        message = f"{what}: HTTP {status} ({error_detail(response)})"
        hint = self.hints.get(status) or self.hints.get(cls)
        if hint:
            message += f"; {hint}"
        return status_error(status, message, credential_exchange=credential_exchange, types=self.types,
                            tenant=self.tenant, details=_body(response), **extra)


class VendorApi:
    """Base of one vendor's client: its endpoints call ``self.api`` (a :class:`VendorClient`),
    which keeps the retries, the requests sent and the base URL, and is closed with it."""

    api: VendorClient

    @property
    def retries(self) -> list[str]:
        return self.api.retries

    @property
    def requests_sent(self) -> int:
        return self.api.requests_sent

    @property
    def base_url(self) -> str:
        return self.api.base_url

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> VendorApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def json_of(response: httpx.Response, *, exact: bool = False) -> Any:
    if not response.content:
        return None
    if exact:
        return json.loads(response.content, parse_float=Decimal)
    return response.json()


def _not_json(response: httpx.Response) -> str:
    """Why a success body is not JSON, in a few words (never the body itself: it may echo secrets)."""
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return f"with a body that is not JSON ({kind}, {len(response.content)} bytes)"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"body": response.text[:500]}
    return body if isinstance(body, dict) else {"body": body}
