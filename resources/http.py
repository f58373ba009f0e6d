"""HTTP plumbing shared by every client: retries with backoff and jitter, ``Retry-After``,
and a client-side rate limiter shared by all threads of a process.

Clients (Pennylane, each source) build an ``httpx.Client`` with their auth and base URL and send
reads through :func:`send_with_retries`. Writes that are not idempotent must NOT be retried
blindly after an ambiguous failure (see ``resources/posting.py``): call with ``retry=False``.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from core.errors import TransientError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for attempt 1, 2, ..."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(cap / 2, cap)


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


class SlidingWindowLimiter:
    """At most ``limit`` calls per ``window`` seconds, shared by all threads using this object.

    A call occupies its slot from when it is sent until ``window`` seconds after its response
    arrived (:meth:`settle`): the server counts a request when it *receives* it, which can be
    later than we sent it (connection set-up, a loaded machine), so timing the window from the
    send alone lets the odd request land inside the server's window.

    Keep one instance per credential (e.g. per Pennylane token) in a module-level registry so
    that every client in the process shares it: see :func:`limiter_for`.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._calls: deque[list[float]] = deque()  # one [timestamp] cell per call, oldest first
        self._lock = threading.Lock()

    def acquire(self) -> list[float]:
        """Block until a slot is free; returns the slot, to :meth:`settle` when the answer came."""
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and now - self._calls[0][0] >= self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    slot = [now]
                    self._calls.append(slot)
                    return slot
                sleep_for = self.window - (now - self._calls[0][0]) + 0.001
            time.sleep(sleep_for)

    def settle(self, slot: list[float]) -> None:
        """The call's answer arrived (or it failed): its slot now counts from this moment."""
        with self._lock:
            slot[0] = max(slot[0], self._clock())

    def penalize(self, seconds: float) -> None:
        """After a 429: make the window look full for ``seconds`` from now."""
        with self._lock:
            horizon = self._clock() + seconds - self.window
            self._calls = deque([horizon] for _ in range(self.limit))


_LIMITERS: dict[tuple[str, str], SlidingWindowLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(kind: str, key: str, limit: int, window: float) -> SlidingWindowLimiter:
    """The process-wide limiter for one credential of one API."""
    with _LIMITERS_LOCK:
        lim = _LIMITERS.get((kind, key))
        if lim is None:
            lim = _LIMITERS[(kind, key)] = SlidingWindowLimiter(limit, window)
        return lim


def send_with_retries(
    client: httpx.Client,
    request: httpx.Request,
    *,
    policy: RetryPolicy = RetryPolicy(),
    limiter: SlidingWindowLimiter | None = None,
    retry: bool = True,
    what: str = "request",
    on_retry: Callable[[int, str], None] | None = None,
) -> httpx.Response:
    """Send ``request``; retry 429/5xx/connection errors when ``retry`` is true.

    Returns the last response (which may still be an error status: the caller maps it to a
    typed exception). Raises :class:`TransientError` when a connection error persists.
    """
    attempt = 0
    while True:
        attempt += 1
        slot = limiter.acquire() if limiter is not None else None
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            if slot is not None:
                limiter.settle(slot)
            if not retry or attempt >= policy.max_attempts:
                raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from exc
            delay = policy.backoff(attempt)
            if on_retry:
                on_retry(attempt, f"{type(exc).__name__}, retrying in {delay:.2f}s")
            time.sleep(delay)
            continue
        if slot is not None:
            limiter.settle(slot)
        if response.status_code in RETRYABLE_STATUS and retry and attempt < policy.max_attempts:
            wait = retry_after_seconds(response) if response.status_code == 429 else None
            if response.status_code == 429 and limiter is not None and wait is not None:
                limiter.penalize(wait)
            delay = wait if wait is not None else policy.backoff(attempt)
            delay = min(delay + random.uniform(0, 0.05), policy.max_delay)
            if on_retry:
                on_retry(attempt, f"HTTP {response.status_code}, retrying in {delay:.2f}s")
            response.close()
            time.sleep(delay)
            continue
        return response
