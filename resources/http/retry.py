"""Sending one request again when that is safe, with tenacity: backoff with full jitter, the
server's ``Retry-After``, and the client-side limiter around every attempt.

Two rules, decided by the caller's ``idempotent`` flag:

- an **idempotent** request (a read: GET, or a POST that only reads such as Square's
  ``orders/search`` or a token exchange) is sent again after a connection error or a transient
  status (408, 425, 429, 5xx: :func:`resources.http.status.is_transient`);
- a **non-idempotent** write (Pennylane's POST/PUT) is sent again only when it certainly was not
  processed: the connection could not be opened, or the server answered 429. Any other failure
  after sending is ambiguous: the last response is returned (the caller maps a 5xx), a lost
  answer raises :class:`AmbiguousRequestError`; ``resources/posting.py`` then looks the record
  up before anything is sent again.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import tenacity

from core.errors import TransientError
from resources.http.limiter import SlidingWindowLimiter
from resources.http.status import AmbiguousRequestError, is_transient

# Failures that happen before a byte of the request left: sending again cannot duplicate it.
UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# A server's Retry-After is honoured on these (RFC 6585 §4, RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and the bounds of the exponential backoff (seconds)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``ratelimit-reset``."""
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    reset = response.headers.get("ratelimit-reset") or response.headers.get("x-ratelimit-reset")
    if reset:
        try:
            r = float(reset)
            # Pennylane sends a Unix timestamp; some vendors send seconds-until-reset.
            return max(0.0, r - time.time()) if r > 1_000_000_000 else max(0.0, r)
        except ValueError:
            return None
    return None


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """The server's ``Retry-After`` (plus a little jitter) when it sent one, else exponential
    backoff with full jitter; never more than ``max_delay``."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.backoff = tenacity.wait_random_exponential(multiplier=policy.base_delay, max=policy.max_delay)

    def __call__(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response: httpx.Response = outcome.result()
            if response.status_code in RETRY_AFTER_STATUSES:
                wait = retry_after_seconds(response)
                if wait is not None:
                    return min(wait + random.uniform(0, 0.05), self.policy.max_delay)
        return self.backoff(state)


def send_with_retries(
    client: httpx.Client,
    request: httpx.Request,
    *,
    idempotent: bool,
    policy: RetryPolicy = RetryPolicy(),
    limiter: SlidingWindowLimiter | None = None,
    what: str = "request",
    on_retry: Callable[[int, str], None] | None = None,
    auth: httpx.Auth | object | None = httpx.USE_CLIENT_DEFAULT,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Send ``request`` until it succeeds, fails for good, or attempts run out (see the module).

    Returns the last response, whatever its status: the caller maps an error status through the
    status table. Raises :class:`TransientError` when a connection error persists, and
    :class:`AmbiguousRequestError` when a non-idempotent request's answer was lost.
    """

    def attempt() -> httpx.Response:
        slot = limiter.acquire() if limiter is not None else None
        try:
            response = client.send(request, auth=auth)
        finally:
            if slot is not None:
                limiter.settle(slot)
        if response.status_code == 429 and limiter is not None:
            wait = retry_after_seconds(response)
            if wait is not None:
                limiter.penalize(wait)
        return response

    def retry_error(exc: BaseException) -> bool:
        return isinstance(exc, httpx.TransportError if idempotent else UNSENT_ERRORS)

    def retry_status(response: httpx.Response) -> bool:
        return is_transient(response.status_code) if idempotent else response.status_code == 429

    def before_sleep(state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            exc = outcome.exception()
            why = f"{type(exc).__name__}"
        else:
            response = outcome.result()
            response.close()
            why = f"HTTP {response.status_code}"
        if on_retry is not None:
            delay = state.next_action.sleep if state.next_action else 0.0
            on_retry(state.attempt_number, f"{why}, retrying in {delay:.2f}s")

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=_WaitRetryAfterOrBackoff(policy),
        retry=tenacity.retry_if_exception(retry_error) | tenacity.retry_if_result(retry_status),
        before_sleep=before_sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        sleep=sleep,
    )
    try:
        return retrying(attempt)
    except UNSENT_ERRORS as exc:
        raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except httpx.TransportError as exc:
        if idempotent:
            raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from exc
        raise AmbiguousRequestError(
            f"{what}: {type(exc).__name__} after sending; it may have been processed") from exc
