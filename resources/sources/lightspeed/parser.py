"""Lightspeed payloads → canonical sales frames (pure: no I/O). See the package docstring."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    empty_frame,
    make_frame,
    normalize_rate,
)
from core.tenants import TenantConfig
from resources.sources.common import DayContext, vat_of_gross

# Sale types that move money. The others (SPLIT, TRANSFER, UPDATE, RECALL, FLOAT, TRANSITORY,
# CROSS_BL, VOID, CANCEL) are account-keeping records of the till; they are listed in the notes.
MONEY_SALE_TYPES = frozenset({"SALE", "REFUND"})


def to_cents(value: Any) -> int:
    """Decimal string (``"11.00"``, ``"1.666667"``) → integer cents, half-even like Lightspeed.

    Raises ``ValueError`` when the value is not a finite decimal.
    """
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a decimal amount")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def rate_from_multiplier(multiplier: Any) -> str:
    """Lightspeed ``taxLines[].taxRate`` is a multiplier: ``"1.2"`` → ``"20"``, ``"1.055"`` → ``"5.5"``."""
    pct = (Decimal(str(multiplier)) - 1) * 100
    if pct < 0:
        raise ValueError(f"tax multiplier {multiplier!r} is below 1")
    text = format(pct.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Ctx(DayContext):
    """Where we are, so that every error names tenant, day, record and field."""

    def cents(self, value: Any, record: str, field: str) -> int:
        return self.parsed(to_cents, value, record, field)


def _line_rate(line: dict, ctx: _Ctx, record: str) -> str | None:
    """The line's VAT rate in percent, from ``taxRatePercentage`` and the ``taxLines`` multipliers."""
    rates: set[str] = set()
    for i, tl in enumerate(line.get("taxLines") or []):
        if tl.get("taxRate") in (None, ""):
            continue
        try:
            rates.add(rate_from_multiplier(tl["taxRate"]))
        except (InvalidOperation, ValueError) as exc:
            raise ctx.error(f"tax multiplier {tl['taxRate']!r} is not valid", record,
                            f"taxLines[{i}].taxRate") from exc
    if len(rates) > 1:
        raise ctx.error(f"one line carries several VAT rates {sorted(rates)}; a French sales line has one",
                        record, "taxLines")
    pct = line.get("taxRatePercentage")
    if pct not in (None, ""):
        try:
            rate = normalize_rate(pct)
        except ValueError as exc:
            raise ctx.error(f"{pct!r} is not a VAT rate", record, "taxRatePercentage") from exc
        if rates and rate not in rates:
            raise ctx.error(
                f"taxRatePercentage {pct!r} disagrees with the tax multiplier ({sorted(rates)[0]} %)",
                record, "taxLines[0].taxRate")
        return rate
    return next(iter(rates)) if rates else None


def _tax_included(line: dict) -> bool:
    flags = {bool(tl.get("taxIncluded")) for tl in line.get("taxLines") or [] if "taxIncluded" in tl}
    return flags != {False}  # inclusive unless every tax line says otherwise (French tills are TTC)


def parse_sale(sale: dict, *, location: str, country: str, currency: str, ctx: _Ctx
               ) -> tuple[list[dict], list[dict]]:
    """One K-Series ``Sale`` → canonical line rows and payment rows (signed cents)."""
    order_id = str(sale.get("accountFiscId") or sale.get("accountReference") or "")
    if not order_id:
        raise ctx.error("sale without accountFiscId", str(sale.get("receiptId") or "?"), "accountFiscId")
    is_refund = sale.get("type") == "REFUND"
    lines: list[dict] = []
    for i, line in enumerate(sale.get("salesLines") or []):
        line_id = str(line.get("id") or f"{order_id}-{i + 1}")
        record = f"{order_id}/{line_id}"
        net = ctx.cents(line.get("totalNetAmountWithoutTax") or "0", record, "totalNetAmountWithoutTax")
        vat = ctx.cents(line.get("taxAmount") or "0", record, "taxAmount")
        gross = net + vat
        rate = _line_rate(line, ctx, record)
        if rate is None:
            if vat:
                raise ctx.error("a taxed line has neither taxRatePercentage nor taxLines", record,
                                "taxRatePercentage")
            rate = "0"
        service = 0
        charge = ctx.cents(line.get("serviceCharge") or "0", record, "serviceCharge")
        if charge and line.get("serviceChargeType") == "NO_SERVICE_CHARGE":
            raise ctx.error(f"serviceCharge {line.get('serviceCharge')} on a line whose serviceChargeType is "
                            "NO_SERVICE_CHARGE", record, "serviceCharge")
        if _tax_included(line) and line.get("totalNetAmountWithTax") not in (None, ""):
            total = ctx.cents(line["totalNetAmountWithTax"], record, "totalNetAmountWithTax")
            residual = total - gross
            if charge and residual == charge:
                service = charge  # carried in the TTC total beside net + tax (the vendor's example)
            elif abs(residual) <= 1:
                gross, net = total, total - vat  # six-decimal amounts rounded apart: trust the TTC
            else:
                raise ctx.error(
                    f"totalNetAmountWithTax {line['totalNetAmountWithTax']} != totalNetAmountWithoutTax "
                    f"{line.get('totalNetAmountWithoutTax')} + taxAmount {line.get('taxAmount')}"
                    + (f" + serviceCharge {line.get('serviceCharge')}" if charge else ""),
                    record, "totalNetAmountWithTax")
        elif charge:
            raise ctx.error("serviceCharge on a tax-exclusive line: what it includes cannot be told", record,
                            "serviceCharge")
        if is_refund and gross + service > 0:
            raise ctx.error(f"a REFUND sale has a positive line amount ({gross + service} cents)", record,
                            "totalNetAmountWithTax")
        try:
            quantity = float(Decimal(str(line.get("quantity") or "0")))
        except InvalidOperation as exc:
            raise ctx.error(f"{line.get('quantity')!r} is not a quantity", record, "quantity") from exc
        group = line.get("accountingGroup") or {}
        row = {
            "order_id": order_id, "line_id": line_id, "location": location, "kind": "item",
            "product_id": "", "sku": str(line.get("sku") or ""),
            "category": str(group.get("name") or line.get("statisticGroup") or ""),
            "quantity": quantity, "net_cents": net, "vat_rate": rate, "vat_cents": vat,
            "gross_cents": gross, "country": country, "is_refund": is_refund,
            "currency": str(line.get("currency") or currency),
        }
        lines.append(row)
        if service:
            # A service charge the till adds is a mandatory price supplement: taxable revenue at the
            # rate of the service it is charged on (BOFiP 3B1123), its VAT taken from inside it (the
            # business is tax-inclusive). Voluntary tips are the payments' ``tip``, booked as tips.
            service_vat = vat_of_gross(service, rate)
            lines.append({**row, "line_id": f"{line_id}-service", "kind": "service_charge", "sku": "",
                          "quantity": 1.0, "net_cents": service - service_vat, "vat_rate": rate,
                          "vat_cents": service_vat, "gross_cents": service})
    payments: list[dict] = []
    for i, pay in enumerate(sale.get("payments") or []):
        payment_id = str(pay.get("uuid") or pay.get("fiscId") or f"{order_id}-P{i + 1}")
        record = f"{order_id}/{payment_id}"
        bill = ctx.cents(pay.get("netAmountWithTax"), record, "netAmountWithTax")
        tip = ctx.cents(pay.get("tip") or "0", record, "tip")
        if tip < 0:
            raise ctx.error(f"negative tip ({tip} cents): a refunded tip cannot be booked", record, "tip")
        method = str(pay.get("description") or pay.get("code") or "")
        if not method:
            raise ctx.error("payment without a method name", record, "description")
        amount = bill + tip
        if is_refund and amount > 0:
            raise ctx.error(f"a REFUND sale has a positive payment ({amount} cents)", record,
                            "netAmountWithTax")
        payments.append({
            "order_id": order_id, "payment_id": payment_id, "location": location, "method": method,
            "amount_cents": amount, "tip_cents": tip, "is_refund": is_refund or amount < 0,
            "currency": str(pay.get("currency") or currency),
        })
    return lines, payments


def parse_business_days(
    days: Iterable[tuple[date, str, dict]], *, tenant: TenantConfig, origin: str = ""
) -> SourceDay:
    """Parse ``sales-daily`` responses ``(business day, business location id, payload)``.

    Pure: no I/O. A response with ``dataComplete`` false makes the whole period *waiting*.
    """
    lines: list[dict] = []
    payments: list[dict] = []
    notes: list[str] = []
    waiting: list[str] = []
    for day, location, payload in days:
        ctx = _Ctx(tenant.slug, day.isoformat())
        if not isinstance(payload, dict) or not isinstance(payload.get("sales"), list):
            raise ctx.error("sales-daily response has no 'sales' array", f"location {location}", "sales")
        if payload.get("dataComplete") is not True:
            waiting.append(f"location {location} day {day.isoformat()}")
            continue
        skipped: dict[str, int] = {}
        for sale in payload["sales"]:
            kind = str(sale.get("type") or "SALE")
            if sale.get("cancelled") or kind not in MONEY_SALE_TYPES:
                label = "cancelled" if sale.get("cancelled") else kind
                skipped[label] = skipped.get(label, 0) + 1
                continue
            sl, sp = parse_sale(sale, location=str(location), country=tenant.country,
                                currency=tenant.currency, ctx=ctx)
            lines.extend(sl)
            payments.extend(sp)
        if skipped:
            notes.append(f"location {location} {day.isoformat()}: skipped sales without money movement: "
                         + ", ".join(f"{k}×{v}" for k, v in sorted(skipped.items())))
    if waiting:
        return SourceDay(complete=False, origin=origin, notes=notes,
                         waiting_reason="Lightspeed dataComplete is false for " + ", ".join(waiting))
    return SourceDay(
        sales_lines=make_frame(lines, SALES_LINE_COLUMNS),
        payments=make_frame(payments, PAYMENT_COLUMNS),
        closure_totals=empty_frame(CLOSURE_COLUMNS),
        notes=notes,
        origin=origin,
    )
