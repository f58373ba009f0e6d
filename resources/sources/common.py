"""Helpers several source modules share, kept here so each rule is written once.

- :class:`DayContext`: the tenant and day being parsed, so every :class:`SourceDataError` names
  tenant, day, record and field (sources subclass it to carry more, e.g. the currency).
- :func:`status_error`: what an HTTP error still standing after retries means, for the APIs that
  answer 401/403 for bad credentials, 429/5xx when unavailable and other 4xx for a bad request.
- :func:`vat_of_gross`, :func:`allocate` (a list) and :func:`prorate` (a dict, rounding toward
  zero): exact cent arithmetic; the two splits differ in rounding, so each keeps its callers.

Only helpers whose meaning is the same for every caller live here: each source's amount parsing
(exact, half-even, half-up, integer cents) stays in its module, because vendors differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from core.errors import MappingError, SourceDataError, SyncError, TransientError

T = TypeVar("T")


@dataclass
class DayContext:
    """Who and what is being parsed, so every error names tenant, day, record and field."""

    tenant: str
    day: str

    def error(self, message: str, record: str | None, field: str | None) -> SourceDataError:
        return SourceDataError(message, tenant=self.tenant, day=self.day, record=record, field_name=field)

    def parsed(self, parse: Callable[[Any], T], value: Any, record: str, field: str) -> T:
        """``parse(value)``, a ``ValueError`` it raises becoming a source error naming ``record``
        and ``field`` (its message unchanged)."""
        try:
            return parse(value)
        except ValueError as exc:
            raise self.error(str(exc), record, field) from None


def status_error(status: int, *, refused: str, unavailable: str, rejected: str,
                 tenant: str | None) -> SyncError:
    """The error for an HTTP error ``status`` still standing after retries.

    401/403: the credentials or their scopes are wrong, a human must act (``MappingError`` with
    ``refused``); 429/5xx: the vendor is unavailable, retry later (``TransientError`` with
    ``unavailable``); any other status: the request or the data is wrong (``SourceDataError``
    with ``rejected``).
    """
    if status in (401, 403):
        return MappingError(refused, tenant=tenant)
    if status == 429 or status >= 500:
        return TransientError(unavailable, tenant=tenant)
    return SourceDataError(rejected, tenant=tenant)


def vat_of_gross(gross_cents: int, rate: str) -> int:
    """VAT included in a gross amount at ``rate`` percent, in cents, rounded half away from zero
    (so a refund's VAT is exactly the opposite of the sale's)."""
    r = Decimal(rate)
    if r == 0:
        return 0
    return int((Decimal(gross_cents) * r / (Decimal(100) + r)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` (largest remainder on the floors: the
    parts sum exactly; ties go to the first); ``ValueError`` when the weights sum to zero."""
    base = sum(weights)
    if base == 0:
        raise ValueError("cannot allocate over zero weights")
    raw = [Decimal(total) * w / base for w in weights]
    floors = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in raw]
    rest = total - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - floors[i], -i), reverse=True)
    for i in order[:rest]:
        floors[i] += 1
    return floors


def prorate(amount_cents: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``amount_cents`` over keys in proportion to ``weights`` (largest remainder: the parts
    sum exactly); ``{}`` when the weights are empty or sum to zero."""
    total = sum(weights.values())
    if total == 0:
        return {}
    raw = {k: Decimal(amount_cents) * w / total for k, w in weights.items()}
    out = {k: int(v.to_integral_value(rounding="ROUND_DOWN")) for k, v in raw.items()}
    rest = amount_cents - sum(out.values())
    for k in sorted(raw, key=lambda k: abs(raw[k] - out[k]), reverse=True)[: abs(rest)]:
        out[k] += 1 if rest > 0 else -1
    return out
