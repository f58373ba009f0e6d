"""Forced 429s for the emulators whose vendors document a rate limit but no test-friendly way to
hit it: a test calls ``state.throttle_next(n)`` and the next ``n`` requests are refused, so the
client's retry (and its respect of ``Retry-After``) is exercised for real.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Throttled:
    """Mixin for an emulator's state dataclass. Its fields are keyword-only, so they come after
    the state's own fields and never shift its positional arguments. Thread-safe: the emulator
    serves requests from uvicorn's thread while the test runs in its own."""

    _throttle: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle_next(self, n: int) -> None:
        """Answer the next ``n`` requests with 429."""
        with self._lock:
            self._throttle += n

    def _take_throttle(self) -> bool:
        """True (and one fewer to refuse) when this request must be answered with 429."""
        with self._lock:
            if self._throttle > 0:
                self._throttle -= 1
                return True
            return False
