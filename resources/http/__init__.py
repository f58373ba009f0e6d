"""The vendor HTTP base shared by every client (sales sources, Pennylane, Toporder callbacks).

- :mod:`~resources.http.client`: :class:`VendorClient`, an ``httpx.Client`` with retries, the
  status table and ``Link`` paging;
- :mod:`~resources.http.auth`: ``httpx.Auth`` flows, a header token and a cached token refreshed
  once after a 401;
- :mod:`~resources.http.retry`: tenacity retries (backoff with jitter, ``Retry-After``), reads
  and writes kept apart;
- :mod:`~resources.http.status`: the one table from HTTP status to error class;
- :mod:`~resources.http.limiter`: the client-side rate limiter shared by a process.
"""

from resources.http.auth import HeaderToken, Token, TokenAuth
from resources.http.client import VendorApi, VendorClient, json_of
from resources.http.limiter import SlidingWindowLimiter, limiter_for
from resources.http.retry import AmbiguousRequestError, RetryPolicy, retry_after_seconds, send_with_retries
from resources.http.status import STATUS_CLASSES, error_detail, status_class, status_error

__all__ = [
    "STATUS_CLASSES", "AmbiguousRequestError", "HeaderToken", "RetryPolicy", "SlidingWindowLimiter", "Token",
    "TokenAuth", "VendorApi", "VendorClient", "error_detail", "json_of", "limiter_for", "retry_after_seconds",
    "send_with_retries", "status_class", "status_error",
]
