"""Step 2 of the mapping: the source's closure (Z-report) totals against the period's groups.

A till's Z-report gives, per payment method and per VAT rate (and per location when the tenant
books locations apart), what it believes the day adds up to. Any difference with the sum of the
orders' lines and payments is the source's to fix: the day fails with every mismatch listed,
the first one named as the record and field of the error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.grouping import PeriodGroups
from core.accounting.vat_rates import canonical_rate, format_rate_fr
from core.money import cents_to_text

_CLOSURE_COLUMNS = ("location", "dimension", "key", "amount_cents", "net_cents", "vat_cents")


@dataclass
class _Sums:
    """Cents added up for one (location, payment method) or (location, VAT rate)."""

    gross_cents: int = 0  # a payment method's amount, or a rate's total incl. VAT
    net_cents: int = 0
    vat_cents: int = 0


@dataclass(frozen=True)
class Mismatch:
    """One closure total that differs from what the period's lines or payments add up to."""

    message: str
    record: str
    field_name: str


def cross_check_closure(ctx: MappingContext, groups: PeriodGroups, closure: pd.DataFrame) -> None:
    """The source's Z-report totals must equal what the lines and payments add up to."""
    mismatches = closure_mismatches(ctx.tenant.accounting.per_location, groups, closure)
    if mismatches:
        first = mismatches[0]
        more = f" (and {len(mismatches) - 1} other mismatch(es))" if len(mismatches) > 1 else ""
        raise ctx.source_error(first.message + more, record=first.record, field_name=first.field_name,
                               mismatches=[m.message for m in mismatches])


def closure_mismatches(by_location: bool, groups: PeriodGroups, closure: pd.DataFrame) -> list[Mismatch]:
    """Every difference, payment methods first, then VAT rates, each sorted by (location, key)."""
    if not len(closure):
        return []

    def where(location: str) -> str:
        return f" at location {location!r}" if by_location else ""

    pays: dict[tuple[str, str], _Sums] = {}
    for m in groups.methods:  # groups carry the location only when booked by location
        pays.setdefault((m.location, m.method), _Sums()).gross_cents += m.amount_cents
    rates: dict[tuple[str, str], _Sums] = {}
    for g in groups.lines:
        if g.taxation is None:
            continue
        t = rates.setdefault((g.location, g.taxation.rate), _Sums())
        t.gross_cents += g.gross_cents
        t.net_cents += g.net_cents
        t.vat_cents += g.vat_cents
    z_pay: dict[tuple[str, str], _Sums] = {}
    z_vat: dict[tuple[str, str], _Sums] = {}
    z_rows = list(zip(*(closure[c].tolist() for c in _CLOSURE_COLUMNS), strict=True))
    for location, dimension, key, amount, _net_cents, _vat_cents in z_rows:
        if dimension == "payment":
            loc = str(location) if by_location else ""
            z_pay.setdefault((loc, str(key)), _Sums()).gross_cents += int(amount)
    for location, dimension, key, amount, net, vat in z_rows:
        if dimension == "vat":
            loc = str(location) if by_location else ""
            t = z_vat.setdefault((loc, canonical_rate(key)), _Sums())
            t.gross_cents += int(amount)
            t.net_cents += int(net)
            t.vat_cents += int(vat)

    mismatches: list[Mismatch] = []
    for key in sorted(set(pays) | set(z_pay)):
        ours, theirs = pays.get(key, _Sums()).gross_cents, z_pay.get(key, _Sums()).gross_cents
        if ours != theirs:
            mismatches.append(Mismatch(
                f"closure total for payment method {key[1]!r}{where(key[0])} is {cents_to_text(theirs)} "
                f"but the payments sum to {cents_to_text(ours)}",
                f"closure payment {key[1]}", "amount_cents",
            ))
    for key in sorted(set(rates) | set(z_vat)):
        sums, z = rates.get(key, _Sums()), z_vat.get(key, _Sums())
        label = f"VAT rate {format_rate_fr(key[1])}{where(key[0])}"
        if sums.gross_cents != z.gross_cents:
            mismatches.append(Mismatch(
                f"closure total at {label} is {cents_to_text(z.gross_cents)} incl. VAT but the "
                f"sales lines sum to {cents_to_text(sums.gross_cents)}",
                f"closure vat {key[1]}", "amount_cents",
            ))
        elif z.net_cents or z.vat_cents:  # compare the split only when the Z gives it
            for col, what in (("vat_cents", "VAT"), ("net_cents", "net of VAT")):
                ours, theirs = getattr(sums, col), getattr(z, col)
                if ours != theirs:
                    mismatches.append(Mismatch(
                        f"closure {what} at {label} is {cents_to_text(theirs)} but the sales lines "
                        f"sum to {cents_to_text(ours)}",
                        f"closure vat {key[1]}", col,
                    ))
                    break
    return mismatches
