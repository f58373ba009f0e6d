"""Helpers several source modules share, kept here so each rule is written once.

- :class:`DayContext`: the tenant and day being parsed, so every :class:`SourceDataError` names
  tenant, day, record and field (sources subclass it to carry more, e.g. the currency).
- :func:`source_config`: the tenant's ``source:`` block as the connector's typed model.
- :func:`day_errors`: every error raised while fetching a period names the tenant and the day.
- :func:`waiting_until_settled`: a day is final some time after it ends (late syncs).
- :func:`merge_days`: the days of a monthly period as one ``SourceDay``.
- :func:`normalise_text`: every text of a day cleaned once at the source boundary (NFC, no
  control characters, Pennylane's label length).
- :func:`vat_of_gross`, :func:`allocate` (a list) and :func:`prorate` (a dict, rounding toward
  zero): exact cent arithmetic; the two splits differ in rounding, so each keeps its callers.

Only helpers whose meaning is the same for every caller live here: each source's amount parsing
(exact, half-even, half-up, integer cents) stays in its parser, because vendors differ. HTTP
(retries, tokens, status → error class, Link paging) is the vendor base of :mod:`resources.http`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import pandas as pd
from pydantic import ValidationError

from core.errors import MappingError, SourceDataError, SyncError
from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from core.tenants import SourceConfig, TenantConfig

T = TypeVar("T")
C = TypeVar("C", bound=SourceConfig)


def validation_errors(exc: ValidationError) -> str:
    """One ``field: problem`` per error, without the input values (a secret pasted where an env
    var name belongs must not end up in a log)."""
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors())


def source_config(tenant: TenantConfig, model: type[C]) -> C:
    """The tenant's ``source`` block as the connector's ``model``: as the registry loaded it
    (:class:`resources.tenants.TenantConfig`), or validated now for a tenant built with the bare
    core model (a wrong block is then a mapping error naming the field)."""
    if isinstance(tenant.source, model):
        return tenant.source
    try:
        return model.model_validate(tenant.source.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise MappingError(validation_errors(exc), tenant=tenant.slug, field_name="source") from None


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


@contextmanager
def day_errors(tenant: str, day: str) -> Iterator[None]:
    """Every :class:`SyncError` raised inside names ``tenant`` and ``day`` (when it did not)."""
    try:
        yield
    except SyncError as exc:
        exc.with_context(tenant=tenant, day=day)
        raise


def waiting_until_settled(now: datetime, end: datetime, settle: timedelta, *, label: str = "the day",
                          why: str = "") -> SourceDay | None:
    """A *waiting* day while ``now`` is before ``end + settle`` (a day is final only once late
    syncs are in), else ``None``."""
    if now >= end + settle:
        return None
    reason = f"{label} ends at {end.isoformat()}; final {settle} later" + (f" ({why})" if why else "")
    return SourceDay(complete=False, waiting_reason=reason)


def merge_days(days: Iterable[SourceDay], *, origin: str = "") -> SourceDay:
    """Complete days (of one monthly period, or several closures of a day) as one ``SourceDay``:
    frames and notes in order; ``origin`` defaults to the days' origins."""
    days = list(days)
    if len(days) == 1:
        return days[0]

    def concat(frames: list[pd.DataFrame], columns: dict[str, str]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else make_frame([], columns)

    return SourceDay(
        sales_lines=concat([d.sales_lines for d in days], SALES_LINE_COLUMNS),
        payments=concat([d.payments for d in days], PAYMENT_COLUMNS),
        closure_totals=concat([d.closure_totals for d in days], CLOSURE_COLUMNS),
        notes=[n for d in days for n in d.notes],
        origin=origin or ", ".join(dict.fromkeys(d.origin for d in days if d.origin)),
    )


# Line kinds that are French taxable supplies when sold (a gift card sold is not: multi-purpose
# vouchers carry VAT at redemption).
TAXABLE_KINDS = ("item", "shipping", "fee", "service_charge")


def refuse_french_day_without_vat(day: SourceDay, tenant: TenantConfig) -> None:
    """A French tenant's day with sales and not one cent of VAT is a source error: a source that
    lost its taxes (given at order level, a renamed field) would otherwise post revenue without
    VAT, every check green."""
    if tenant.country != "FR" or not len(day.sales_lines):
        return
    lines = day.sales_lines
    sold = lines[lines["kind"].isin(TAXABLE_KINDS) & ~lines["is_refund"]]
    takings = int(sold["gross_cents"].sum())
    if takings > 0 and not (lines["vat_cents"] != 0).any():
        raise SourceDataError(
            f"{len(sold)} sales lines worth {takings} cents carry no VAT at all on a French day: the source "
            "gave no tax (order-level taxes not read, tax fields missing?); nothing is posted",
            tenant=tenant.slug, record=f"{sold['order_id'].nunique()} orders", field_name="vat_cents")


# Pennylane's longest accepted label (``label`` maxLength 255 in the Company API v2 spec, ledger
# entries and their lines): no text read from a source may exceed it.
TEXT_MAX = 255
_TEXT_COLUMNS = {"sales_lines": ("order_id", "line_id", "location", "product_id", "sku", "category"),
                 "payments": ("order_id", "payment_id", "location", "method"),
                 "closure_totals": ("location", "key")}


def clean_text(value: str) -> str:
    """Text as the books may hold it: Unicode NFC (a decomposed "é" is the one "é"), without control
    or format characters (NUL, escapes, bidi overrides), at most :data:`TEXT_MAX` characters."""
    text = unicodedata.normalize("NFC", value)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c in "\t")
    return text.replace("\t", " ")[:TEXT_MAX]


def normalise_text(day: SourceDay) -> SourceDay:
    """Every text a source gave, cleaned once at the boundary (:func:`clean_text`), in place."""
    for frame_name, columns in _TEXT_COLUMNS.items():
        frame = getattr(day, frame_name)
        for column in columns:
            if len(frame):
                frame[column] = frame[column].map(clean_text).astype("string")
    return day


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
