"""The Toporder closure file, schema version 1 (``docs/toporder-format.md``): pydantic models and
schema validation. No I/O here; the checks a Z report must pass and the parser to canonical frames
are in :mod:`resources.sources.toporder.parser`.

Every problem is an :class:`Issue` (code, ticket, field, sentence); a refused file raises one
``SourceDataError`` carrying all of them in ``details["issues"]``, the first in its message, so that
the till gets the whole list in one report rather than one fix at a time.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import SourceDataError
from core.frames import (
    normalize_rate,
)
from core.money import cents_to_amount
from core.tenants import TenantConfig

SCHEMA_VERSION = 1


CENTS = Decimal("0.01")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a decimal number, got {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"expected a decimal number, got {value!r}") from exc
    if not d.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return d


def _money(value: Any) -> Decimal:
    d = _decimal(value)
    if d != d.quantize(CENTS):
        raise ValueError(f"{value!r} has more than 2 decimals (amounts are euros with cents)")
    return d


def _rate(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a VAT rate in percent, got {value!r}")
    return normalize_rate(value)


Money = Annotated[Decimal, BeforeValidator(_money)]
Quantity = Annotated[Decimal, BeforeValidator(_decimal)]
Rate = Annotated[str, BeforeValidator(_rate)]


def _text(value: Any) -> Any:
    """Ids and labels: ``null`` → ``""``; numeric ids (``42``) → ``"42"``; anything else as is."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
LineKind = Literal["item", "discount", "service_charge", "fee", "gift_card"]


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineIn(_Model):
    id: Text = ""
    label: str = Field(min_length=1)
    product_id: Text = ""
    sku: Text = ""
    category: Text = ""
    kind: LineKind = "item"
    quantity: Quantity
    unit_price_ttc: Money
    discount_ttc: Money = Decimal(0)
    vat_rate: Rate
    total_ttc: Money
    refund: bool | None = None  # default: the ticket's flag

    @model_validator(mode="after")
    def _total_is_price_times_quantity(self) -> LineIn:
        expected = round_half_up(self.quantity * cents(self.unit_price_ttc)) - cents(self.discount_ttc)
        if cents(self.total_ttc) != expected:
            raise ValueError(
                f"total_ttc {self.total_ttc} != quantity {self.quantity} × unit_price_ttc "
                f"{self.unit_price_ttc} − discount_ttc {self.discount_ttc} = {cents_to_amount(expected)}"
            )
        return self


class TicketPaymentIn(_Model):
    id: Text = ""
    method: str = Field(min_length=1)  # exactly as the till names it: never trimmed or re-cased
    amount: Money  # money taken with this method, tip included
    tip: Money = Decimal(0)

    @model_validator(mode="after")
    def _tip(self) -> TicketPaymentIn:
        if self.tip < 0:
            raise ValueError(f"tip {self.tip} must not be negative")
        if self.amount >= 0 and self.tip > self.amount:
            raise ValueError(f"tip {self.tip} is larger than amount {self.amount}")
        if self.amount < 0 and self.tip != 0:
            raise ValueError("a money-back payment (negative amount) cannot carry a tip")
        return self


class TicketIn(_Model):
    id: Id
    closed_at: AwareDatetime
    refund: bool = False
    lines: list[LineIn] = Field(min_length=1)
    payments: list[TicketPaymentIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _signs(self) -> TicketIn:
        for i, line in enumerate(self.lines):
            is_refund = self.refund if line.refund is None else line.refund
            if is_refund and line.total_ttc > 0:
                raise ValueError(f"lines[{i}].total_ttc {line.total_ttc} is positive on a refund")
        if self.refund:
            for i, p in enumerate(self.payments):
                if p.amount > 0:
                    raise ValueError(f"payments[{i}].amount {p.amount} is positive on a refund ticket")
        return self


class MethodTotalIn(_Model):
    method: str = Field(min_length=1)
    amount: Money
    tip: Money = Decimal(0)


class VatTotalIn(_Model):
    rate: Rate
    net: Money
    vat: Money
    gross: Money

    @model_validator(mode="after")
    def _net_plus_vat(self) -> VatTotalIn:
        if self.net + self.vat != self.gross:
            raise ValueError(f"net {self.net} + vat {self.vat} != gross {self.gross}")
        return self


class GrandTotalsIn(_Model):
    net: Money
    vat: Money
    gross: Money
    tips: Money = Decimal(0)
    payments: Money


class LocationIn(_Model):
    id: Id
    name: Text = ""


class ClosureIn(_Model):
    schema_version: Literal[1]
    identifier: str = Field(min_length=1)
    business_date: date
    closure_id: Id
    closure_number: int | None = None
    location: LocationIn
    opened_at: AwareDatetime
    closed_at: AwareDatetime
    generated_at: AwareDatetime
    currency: str = "EUR"
    tickets: list[TicketIn]
    payments_by_method: list[MethodTotalIn]
    vat_totals: list[VatTotalIn]
    totals: GrandTotalsIn

    @field_validator("business_date", mode="before")
    @classmethod
    def _iso_date(cls, v: Any) -> Any:
        if not isinstance(v, str | date):
            raise ValueError(f"expected an ISO date YYYY-MM-DD, got {v!r}")
        return v

    @model_validator(mode="after")
    def _structure(self) -> ClosureIn:
        if self.closed_at < self.opened_at:
            raise ValueError(f"closed_at {self.closed_at} is before opened_at {self.opened_at}")
        seen: set[str] = set()
        for t in self.tickets:
            if t.id in seen:
                raise ValueError(f"ticket id {t.id!r} appears twice")
            seen.add(t.id)
        rates = [v.rate for v in self.vat_totals]
        if len(rates) != len(set(rates)):
            raise ValueError(f"vat_totals lists a rate twice: {rates}")
        methods = [m.method for m in self.payments_by_method]
        if len(methods) != len(set(methods)):
            raise ValueError(f"payments_by_method lists a method twice: {methods}")
        return self


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a file: what (code), where (ticket, field), and a sentence."""

    code: str
    message: str
    record: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "record": self.record, "field": self.field, "message": self.message}


# Why the file was refused; ``before_activation`` is a notice, every other code an error to fix.
ISSUE_CODES = (
    "invalid_json", "invalid_file", "identifier_mismatch", "before_activation", "currency_mismatch",
    "unknown_vat_rate", "debit_not_equal_credit", "payment_totals_mismatch", "vat_totals_mismatch",
    "totals_mismatch",
)
BEFORE_ACTIVATION_NOTICE = "sales before the activation date cannot be received"


def error_from_issues(
    issues: list[Issue], *, tenant: str | None, day: str | None, file_name: str | None
) -> SourceDataError:
    first = issues[0]
    where = f"{file_name}: " if file_name else ""
    more = f" (and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''})" if len(issues) > 1 else ""
    return SourceDataError(
        f"{where}{first.message}{more}", tenant=tenant, day=day, record=first.record,
        field_name=first.field,
        details={"code": first.code, "file": file_name, "issues": [i.as_dict() for i in issues]},
    )


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_issues(exc: ValidationError, doc: Any) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        record = None
        if len(loc) >= 2 and loc[0] == "tickets" and isinstance(loc[1], int):
            ticket_id = None
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                ticket_id = doc["tickets"][loc[1]].get("id")
            record = f"ticket {ticket_id}" if ticket_id else f"tickets[{loc[1]}]"
        path = _loc_path(loc) or "(file)"
        msg = err["msg"].removeprefix("Value error, ")
        where = f"{record}, field {path}" if record else f"field {path}"
        issues.append(Issue("invalid_file", f"{where}: {msg}", record, path))
    return issues



def validate_closure(doc: Any, tenant: TenantConfig, *, file_name: str | None = None) -> ClosureIn:
    """Schema validation only; raises ``SourceDataError`` (code ``invalid_file``) naming every field."""
    day = doc.get("business_date") if isinstance(doc, dict) else None
    try:
        return ClosureIn.model_validate(doc)
    except ValidationError as exc:
        raise error_from_issues(_validation_issues(exc, doc), tenant=tenant.slug,
                                 day=str(day) if day else None, file_name=file_name) from None
