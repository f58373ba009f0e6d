"""The Toporder closure file, schema version 1 (``docs/toporder-format.md``): pydantic models,
the checks a Z report must pass, and the pure parser to canonical frames. No I/O here.

Every problem is an :class:`Issue` (code, ticket, field, sentence); a refused file raises one
``SourceDataError`` carrying all of them in ``details["issues"]``, the first in its message, so that
the till gets the whole list in one report rather than one fix at a time.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
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

from core.accounting.vat_rates import rates_for
from core.errors import SourceDataError
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    make_frame,
    normalize_rate,
)
from core.money import cents_to_amount
from resources.sources.common import vat_of_gross
from resources.tenants import TenantConfig

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


# --------------------------------------------------------------------------- VAT rates

def french_vat_rates(day: date, extra: Iterable[object] = (), *, include_regional: bool = False) -> frozenset[str]:
    """The VAT rates (normalised percent strings) in force in France on ``day``.

    The dated table is :mod:`core.accounting.vat_rates` (mainland rates; Corsica and overseas
    rates only with ``include_regional``). A tenant can add rates in ``source.settings``:
    ``include_regional_vat_rates: true`` or ``extra_vat_rates: ["8.5"]``.
    """
    return frozenset(rates_for("FR", day, include_regional=include_regional)) | {
        normalize_rate(r) for r in extra}


def _tenant_rates(day: date, tenant: TenantConfig) -> frozenset[str]:
    settings = tenant.source.settings
    return french_vat_rates(day, settings.get("extra_vat_rates", ()),
                            include_regional=bool(settings.get("include_regional_vat_rates", False)))


def split_gross(gross_cents: int, rate: str) -> tuple[int, int]:
    """(net, vat) of a VAT-included amount: VAT per line from the TTC amount, halves away from 0."""
    vat = vat_of_gross(gross_cents, rate)
    return gross_cents - vat, vat


# --------------------------------------------------------------------------- pure parser


def validate_closure(doc: Any, tenant: TenantConfig, *, file_name: str | None = None) -> ClosureIn:
    """Schema validation only; raises ``SourceDataError`` (code ``invalid_file``) naming every field."""
    day = doc.get("business_date") if isinstance(doc, dict) else None
    try:
        return ClosureIn.model_validate(doc)
    except ValidationError as exc:
        raise error_from_issues(_validation_issues(exc, doc), tenant=tenant.slug,
                                 day=str(day) if day else None, file_name=file_name) from None


def consistency_issues(closure: ClosureIn, tenant: TenantConfig) -> list[Issue]:
    """The checks a Z report must pass; each failure is for the till to fix."""
    issues: list[Issue] = []
    if closure.currency != tenant.currency:
        issues.append(Issue("currency_mismatch", f"currency {closure.currency} is not the tenant's "
                            f"currency {tenant.currency}", None, "currency"))
    known = _tenant_rates(closure.business_date, tenant)
    for ti, t in enumerate(closure.tickets):
        for li, line in enumerate(t.lines):
            if line.vat_rate not in known:
                issues.append(Issue(
                    "unknown_vat_rate",
                    f"ticket {t.id}, line {li + 1} ({line.label}): VAT rate {line.vat_rate} % does not "
                    f"exist in France on {closure.business_date} (known: {', '.join(_sorted_rates(known))})",
                    f"ticket {t.id}", f"tickets[{ti}].lines[{li}].vat_rate"))
    for vi, v in enumerate(closure.vat_totals):
        if v.rate not in known:
            issues.append(Issue(
                "unknown_vat_rate",
                f"vat_totals: VAT rate {v.rate} % does not exist in France on {closure.business_date}",
                None, f"vat_totals[{vi}].rate"))

    # Debit ≠ credit, per ticket: money taken must equal sales plus tips.
    for ti, t in enumerate(closure.tickets):
        sales = sum(cents(line.total_ttc) for line in t.lines)
        paid = sum(cents(p.amount) for p in t.payments)
        tips = sum(cents(p.tip) for p in t.payments)
        if paid != sales + tips:
            issues.append(Issue(
                "debit_not_equal_credit",
                f"ticket {t.id}: debit ≠ credit: payments {cents_to_amount(paid)} € but sales {cents_to_amount(sales)} € "
                f"+ tips {cents_to_amount(tips)} € = {cents_to_amount(sales + tips)} €",
                f"ticket {t.id}", f"tickets[{ti}].payments"))

    # Totals by payment method vs the tickets' payments.
    by_method: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in closure.tickets:
        for p in t.payments:
            by_method[p.method][0] += cents(p.amount)
            by_method[p.method][1] += cents(p.tip)
    declared = {m.method: (cents(m.amount), cents(m.tip)) for m in closure.payments_by_method}
    for mi, m in enumerate(closure.payments_by_method):
        amount, tip = by_method.get(m.method, [0, 0])
        if (amount, tip) != declared[m.method]:
            issues.append(Issue(
                "payment_totals_mismatch",
                f"payments_by_method {m.method!r}: amount {m.amount} / tip {m.tip} but the tickets' "
                f"payments add up to {cents_to_amount(amount)} / {cents_to_amount(tip)}",
                None, f"payments_by_method[{mi}]"))
    for method, (amount, tip) in by_method.items():
        if method not in declared and (amount or tip):
            issues.append(Issue(
                "payment_totals_mismatch",
                f"payments_by_method has no entry for {method!r}, which the tickets' payments use "
                f"({cents_to_amount(amount)} €)", None, "payments_by_method"))

    # Totals by VAT rate vs the tickets' lines.
    tol = tenant.accounting.rounding_tolerance_cents_per_line
    per_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # gross, vat per line, n lines
    for t in closure.tickets:
        for line in t.lines:
            g = cents(line.total_ttc)
            acc = per_rate[line.vat_rate]
            acc[0] += g
            acc[1] += split_gross(g, line.vat_rate)[1] if line.vat_rate in known else 0
            acc[2] += 1
    vat_declared = {v.rate: v for v in closure.vat_totals}
    for vi, v in enumerate(closure.vat_totals):
        gross, line_vat, n = per_rate.get(v.rate, [0, 0, 0])
        if cents(v.gross) != gross:
            issues.append(Issue(
                "vat_totals_mismatch",
                f"vat_totals {v.rate} %: gross {v.gross} but the tickets' lines at {v.rate} % add up to "
                f"{cents_to_amount(gross)}", None, f"vat_totals[{vi}].gross"))
        elif v.rate in known and abs(cents(v.vat) - line_vat) > tol * max(n, 1):
            issues.append(Issue(
                "vat_totals_mismatch",
                f"vat_totals {v.rate} %: VAT {v.vat} is not the VAT of the lines at {v.rate} % "
                f"({cents_to_amount(line_vat)}, tolerance {tol} cent per line)", None, f"vat_totals[{vi}].vat"))
    for rate, (gross, _vat, n) in per_rate.items():
        if rate not in vat_declared:
            issues.append(Issue(
                "vat_totals_mismatch",
                f"vat_totals has no entry for {rate} %, used by {n} line(s) ({cents_to_amount(gross)} €)",
                None, "vat_totals"))

    # Grand totals vs their parts.
    tot = closure.totals
    parts = {
        "gross": sum(cents(line.total_ttc) for t in closure.tickets for line in t.lines),
        "net": sum(cents(v.net) for v in closure.vat_totals),
        "vat": sum(cents(v.vat) for v in closure.vat_totals),
        "tips": sum(cents(p.tip) for t in closure.tickets for p in t.payments),
        "payments": sum(cents(p.amount) for t in closure.tickets for p in t.payments),
    }
    for name, value in parts.items():
        if cents(getattr(tot, name)) != value:
            issues.append(Issue(
                "totals_mismatch", f"totals.{name} {getattr(tot, name)} != {cents_to_amount(value)} "
                f"({'the tickets' if name in ('gross', 'tips', 'payments') else 'vat_totals'})",
                None, f"totals.{name}"))
    if cents(tot.payments) != cents(tot.gross) + cents(tot.tips):
        issues.append(Issue(
            "debit_not_equal_credit",
            f"debit ≠ credit: totals.payments {tot.payments} € but totals.gross {tot.gross} € + "
            f"totals.tips {tot.tips} € = {cents_to_amount(cents(tot.gross) + cents(tot.tips))} €",
            None, "totals.payments"))
    return issues


def _sorted_rates(rates: Iterable[str]) -> list[str]:
    return sorted(rates, key=Decimal, reverse=True)


def parse_closure(doc: Any, tenant: TenantConfig, *, file_name: str | None = None) -> SourceDay:
    """One closure file (already JSON-decoded) → canonical frames. Pure: no I/O.

    Raises ``SourceDataError`` listing every problem (``details["issues"]``), the first one in the
    message, naming the file, the ticket and the field.

    Line VAT: the file's VAT per rate is authoritative (it is what the Z report declared). Each
    line gets its VAT from its TTC amount (the French till convention); the few cents by which a
    till that computes VAT on totals differs are spread over that rate's largest lines, so that
    the lines add up to the declared totals exactly.
    """
    closure = validate_closure(doc, tenant, file_name=file_name)
    day = closure.business_date.isoformat()
    issues = consistency_issues(closure, tenant)
    if issues:
        raise error_from_issues(issues, tenant=tenant.slug, day=day, file_name=file_name)
    return closure_frames(closure, tenant, origin=file_name or "")


def closure_frames(closure: ClosureIn, tenant: TenantConfig, *, origin: str = "") -> SourceDay:
    loc = closure.location.id
    cur = closure.currency
    lines: list[dict[str, Any]] = []
    for t in closure.tickets:
        for li, line in enumerate(t.lines, start=1):
            g = cents(line.total_ttc)
            net, vat = split_gross(g, line.vat_rate)
            lines.append({
                "order_id": t.id, "line_id": line.id or f"{t.id}-L{li}", "location": loc,
                "kind": line.kind, "product_id": line.product_id, "sku": line.sku,
                "category": line.category, "quantity": float(line.quantity), "net_cents": net,
                "vat_rate": line.vat_rate, "vat_cents": vat, "gross_cents": g,
                "country": tenant.country,
                "is_refund": t.refund if line.refund is None else line.refund, "currency": cur,
            })
    _spread_vat_residuals(lines, {v.rate: cents(v.vat) for v in closure.vat_totals})
    payments = [
        {"order_id": t.id, "payment_id": p.id or f"{t.id}-P{pi}", "location": loc, "method": p.method,
         "amount_cents": cents(p.amount), "tip_cents": cents(p.tip), "is_refund": t.refund,
         "currency": cur}
        for t in closure.tickets for pi, p in enumerate(t.payments, start=1)
    ]
    totals = [
        {"location": loc, "dimension": "payment", "key": m.method, "amount_cents": cents(m.amount),
         "net_cents": 0, "vat_cents": 0}
        for m in closure.payments_by_method
    ] + [
        {"location": loc, "dimension": "vat", "key": v.rate, "amount_cents": cents(v.gross),
         "net_cents": cents(v.net), "vat_cents": cents(v.vat)}
        for v in closure.vat_totals
    ]
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        closure_totals=make_frame(totals, CLOSURE_COLUMNS),
        notes=[f"closure {closure.closure_id} ({loc}): {len(closure.tickets)} tickets, "
               f"{cents_to_amount(cents(closure.totals.gross))} € TTC"],
        origin=origin,
    )


def _spread_vat_residuals(lines: list[dict[str, Any]], declared_vat: dict[str, int]) -> None:
    by_rate: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in lines:
        by_rate[row["vat_rate"]].append(row)
    for rate, rows in by_rate.items():
        residual = declared_vat.get(rate, 0) - sum(r["vat_cents"] for r in rows)
        if not residual or not rows:
            continue
        step = 1 if residual > 0 else -1
        ordered = sorted(rows, key=lambda r: -abs(r["gross_cents"]))
        for k in range(abs(residual)):
            row = ordered[k % len(ordered)]
            row["vat_cents"] += step
            row["net_cents"] -= step


