"""The checks a Toporder Z report must pass, and the pure parser from a closure file to the
canonical frames (:mod:`core.frames`). No I/O here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from core.accounting.vat_rates import rates_for
from core.frames import (
    CLOSURE_COLUMNS,
    PAYMENT_COLUMNS,
    SALES_LINE_COLUMNS,
    SourceDay,
    make_frame,
    normalize_rate,
)
from core.money import cents_to_amount
from core.tenants import TenantConfig
from resources.sources.common import source_config, vat_of_gross
from resources.sources.toporder.format import (
    ClosureIn,
    Issue,
    cents,
    error_from_issues,
    validate_closure,
)
from resources.sources.toporder.settings import ToporderConfig


def french_vat_rates(day: date, extra: Iterable[object] = (), *, include_regional: bool = False) -> frozenset[str]:
    """The VAT rates (normalised percent strings) in force in France on ``day``.

    The dated table is :mod:`core.accounting.vat_rates` (mainland rates; Corsica and overseas
    rates only with ``include_regional``). A tenant can add rates in ``source.settings``:
    ``include_regional_vat_rates: true`` or ``extra_vat_rates: ["8.5"]``.
    """
    return frozenset(rates_for("FR", day, include_regional=include_regional)) | {
        normalize_rate(r) for r in extra}


def _tenant_rates(day: date, tenant: TenantConfig) -> frozenset[str]:
    settings = source_config(tenant, ToporderConfig).settings
    return french_vat_rates(day, settings.extra_vat_rates, include_regional=settings.include_regional_vat_rates)


def split_gross(gross_cents: int, rate: str) -> tuple[int, int]:
    """(net, vat) of a VAT-included amount: VAT per line from the TTC amount, halves away from 0."""
    vat = vat_of_gross(gross_cents, rate)
    return gross_cents - vat, vat


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


