"""Step 4 of the mapping: an entry's netted postings → its balanced journal lines.

First the customers' timing differences computed order by order
(:mod:`core.accounting.receivables`, only with a ``receivables_account``): one debit line for
the day's orders not yet paid, one credit line for money received for earlier orders, each
naming its orders in the warnings. Then debits and credits are compared in cents. A residual
within ``rounding_tolerance_cents_per_line × lines`` is the sources' rounding: it becomes a
658/758 "Écart d'arrondi" line. Anything beyond it is a source error "debit ≠ credit" — never
pushed to customers (seed 003: "crédit différent du débit" is an error the till must fix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.entry import EntryInfo
from core.accounting.failures import text_array
from core.accounting.postings import Posting
from core.accounting.receivables import OrderTiming, describe
from core.frames import JOURNAL_LINE_COLUMNS
from core.money import cents_to_text


@dataclass(frozen=True)
class BalancedEntry:
    """One entry's journal lines (postings in line order) and its summary."""

    info: EntryInfo
    postings: list[Posting]
    timings: list[OrderTiming]  # the orders behind the customers lines (empty when none)

    @property
    def receivable_cents(self) -> int:
        """Booked to customers: > 0 debited, < 0 credited, 0 when none."""
        return sum(t.amount_cents for t in self.timings)


_RECEIVABLE_LABELS = {
    "unpaid": "Clients — commandes du jour non encaissées",
    "earlier": "Clients — encaissements de commandes antérieures",
}


def receivable_postings(account: str, timings: list[OrderTiming]) -> list[Posting]:
    """One customers line per reason (orders unpaid today, money for earlier orders), netted."""
    out = []
    for reason, label in _RECEIVABLE_LABELS.items():
        of_reason = [t for t in timings if t.reason == reason]
        amount = sum(t.amount_cents for t in of_reason)
        if amount:
            count = len(of_reason)
            out.append(Posting(account, "receivable", reason, "", "",
                               f"{label} ({count} commande{'s' if count > 1 else ''})", True, amount))
    return out


def balance_entry(
    ctx: MappingContext, entry_key: str, label: str, location: str | None, postings: list[Posting],
    timings: list[OrderTiming] | None = None,
) -> BalancedEntry:
    """The entry balanced with its customers lines and a rounding line, or a ``SourceDataError``."""
    acc = ctx.tenant.accounting
    timings = [t for t in timings or [] if location is None or t.location == location]
    postings = list(postings)
    if timings and acc.receivables_account:
        postings += receivable_postings(acc.receivables_account, timings)
    debit = sum(p.amount for p in postings if p.amount > 0)
    credit = -sum(p.amount for p in postings if p.amount < 0)
    residual = debit - credit
    tolerance = acc.rounding_tolerance_cents_per_line * len(postings)
    if abs(residual) > tolerance:
        traced = (f"; after the customers' timing differences of the named orders ({describe(timings)})"
                  if timings else "")
        raise ctx.source_error(
            f"debit ≠ credit: debits {cents_to_text(debit)}, credits {cents_to_text(credit)} "
            f"(difference {cents_to_text(residual)}, rounding tolerance {cents_to_text(tolerance)} "
            f"= {len(postings)} lines × {acc.rounding_tolerance_cents_per_line} cent){traced}",
            record=f"entry {entry_key}", field_name="amount_cents",
            debit_cents=debit, credit_cents=credit,
        )
    if residual > 0:
        postings.append(Posting(acc.rounding_credit_account, "rounding", "", "", "", "Écart d'arrondi", True,
                                -residual))
    elif residual < 0:
        postings.append(Posting(acc.rounding_debit_account, "rounding", "", "", "", "Écart d'arrondi", True,
                                -residual))
    total = max(debit, credit)
    info = EntryInfo(entry_key, label, location, total, total, residual, len(postings))
    return BalancedEntry(info, postings, timings)


def journal_lines_frame(entries: list[BalancedEntry]) -> pd.DataFrame:
    """The entries' journal lines with the dtypes of :data:`JOURNAL_LINE_COLUMNS`, built column by column."""
    rows = [
        (e.info.entry_key, i, p.account, p.label, max(p.amount, 0), max(-p.amount, 0), p.kind, p.source_key,
         p.vat_rate, p.country, p.mapped)
        for e in entries
        for i, p in enumerate(e.postings, start=1)
    ]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(JOURNAL_LINE_COLUMNS)
    return pd.DataFrame({
        name: text_array(values) if dtype == "string" else np.array(values, dtype=dtype)
        for (name, dtype), values in zip(JOURNAL_LINE_COLUMNS.items(), columns, strict=True)
    }, copy=False)
