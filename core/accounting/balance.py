"""Step 4 of the mapping: an entry's netted postings → its balanced journal lines.

Debits and credits are compared in cents. A residual within
``rounding_tolerance_cents_per_line × lines`` is the sources' rounding: it becomes a 658/758
"Écart d'arrondi" line. Beyond it, a tenant with a ``receivables_account`` (e-commerce: sales
paid on other days) books the difference to its customers, with a warning; for any other tenant
the day fails as a source error "debit ≠ credit".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.accounting.context import MappingContext
from core.accounting.entry import EntryInfo
from core.accounting.failures import text_array
from core.accounting.postings import Posting
from core.frames import JOURNAL_LINE_COLUMNS
from core.money import cents_to_text


@dataclass(frozen=True)
class BalancedEntry:
    """One entry's journal lines (postings in line order) and its summary."""

    info: EntryInfo
    postings: list[Posting]
    receivable_cents: int  # booked to customers: > 0 debited, < 0 credited, 0 when none


def balance_entry(
    ctx: MappingContext, entry_key: str, label: str, location: str | None, postings: list[Posting],
) -> BalancedEntry:
    """The entry balanced with a receivable or a rounding line, or a ``SourceDataError``."""
    acc = ctx.tenant.accounting
    postings = list(postings)
    debit = sum(p.amount for p in postings if p.amount > 0)
    credit = -sum(p.amount for p in postings if p.amount < 0)
    residual = debit - credit
    tolerance = acc.rounding_tolerance_cents_per_line * len(postings)
    receivable = 0
    if abs(residual) > tolerance and acc.receivables_account:
        # Sales not paid the same day (debit the customers) or money for other days' sales (credit).
        line_label = ("Clients — ventes non encaissées ce jour" if residual < 0
                      else "Clients — encaissements de ventes d'autres jours")
        postings.append(Posting(acc.receivables_account, "receivable", "", "", "", line_label, True, -residual))
        receivable = -residual
        debit, credit, residual = max(debit, credit), max(debit, credit), 0
    if abs(residual) > tolerance:
        raise ctx.source_error(
            f"debit ≠ credit: debits {cents_to_text(debit)}, credits {cents_to_text(credit)} "
            f"(difference {cents_to_text(residual)}, rounding tolerance {cents_to_text(tolerance)} "
            f"= {len(postings)} lines × {acc.rounding_tolerance_cents_per_line} cent)",
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
    return BalancedEntry(info, postings, receivable)


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
