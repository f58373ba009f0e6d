"""A client-side rate limiter shared by all threads of a process (Pennylane: 25 requests / 5 s
per token), so that a busy process stays under the vendor's limit instead of collecting 429s."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


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
