"""Reconciliation of a tenant's month: what this system computed from the source and posted,
against what Pennylane's sales journal holds, per day and account.

Balances are signed cents (debit positive, credit negative). Our side is the journal lines of
every entry the posting log records as posted (rounding lines included, so the two sides match
to the cent when nothing was touched); Pennylane's side is every entry of the journal in the
month, ours or not. Any difference is listed: an entry edited or deleted by hand, an entry keyed
in by hand or by another tool in our journal, a day whose entry no longer matches its source
data, or a bug of ours. Pure: balances in, differences out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core.money import cents_to_french

Balances = dict[tuple[date, str], int]


@dataclass(frozen=True)
class BookedLine:
    day: date
    account: str
    debit_cents: int
    credit_cents: int
    entry: str = ""  # the Pennylane entry it belongs to ("#1234 S20261121-…"), for the report


@dataclass(frozen=True)
class Difference:
    day: date
    account: str
    expected_cents: int
    booked_cents: int
    entries: tuple[str, ...]

    @property
    def difference_cents(self) -> int:
        return self.booked_cents - self.expected_cents

    def describe(self) -> str:
        where = f" (entries {', '.join(self.entries)})" if self.entries else " (no entry in Pennylane)"
        return (f"{self.day.isoformat()} · {self.account}: expected {signed(self.expected_cents)}, "
                f"Pennylane holds {signed(self.booked_cents)}, difference {signed(self.difference_cents)}{where}")


def signed(cents: int) -> str:
    """``debit 12,30 €`` / ``credit 12,30 €`` / ``0,00 €``."""
    if cents == 0:
        return cents_to_french(0)
    return f"{'debit' if cents > 0 else 'credit'} {cents_to_french(abs(cents))}"


def balances(lines: Iterable[BookedLine]) -> Balances:
    out: Balances = defaultdict(int)
    for ln in lines:
        out[(ln.day, ln.account)] += ln.debit_cents - ln.credit_cents
    return dict(out)


def reconcile(expected: Iterable[BookedLine], booked: Iterable[BookedLine]) -> list[Difference]:
    """Every (day, account) whose balance in Pennylane differs from ours, by day then account."""
    booked = list(booked)
    ours, theirs = balances(expected), balances(booked)
    entries: dict[tuple[date, str], set[str]] = defaultdict(set)
    for ln in booked:
        entries[(ln.day, ln.account)].add(ln.entry)
    diffs = []
    for key in sorted(set(ours) | set(theirs)):
        want, have = ours.get(key, 0), theirs.get(key, 0)
        if want != have:
            diffs.append(Difference(key[0], key[1], want, have, tuple(sorted(e for e in entries[key] if e))))
    return diffs


def totals_by_account(lines: Iterable[BookedLine]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for ln in lines:
        out[ln.account] += ln.debit_cents - ln.credit_cents
    return dict(sorted(out.items()))
