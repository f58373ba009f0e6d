"""What :func:`core.accounting.mapping.map_period` returns: the period's journal entry (or one
entry per location), ready for the blocking checks and for posting."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class EntryInfo:
    """One journal entry of the period (one per location when ``per_location``)."""

    entry_key: str
    label: str
    location: str | None
    debit_cents: int
    credit_cents: int
    rounding_cents: int  # signed: > 0 booked to 758 (credit), < 0 to 658 (debit)
    line_count: int


@dataclass
class MappedEntry:
    """The journal entry (or entries, per location) of one tenant-period, ready to post.

    ``lines`` has the columns of :data:`core.frames.JOURNAL_LINE_COLUMNS`
    (the ``journal_lines`` warehouse dataset): ``entry_key, line_no, account, label,
    debit_cents, credit_cents, kind, source_key, vat_rate, country, mapped``.
    """

    tenant: str
    period_key: str  # "2026-11-21" (daily) or "2026-10" (calendar month)
    entry_key: str  # key of the period's entry; per location each entry adds "-<location>"
    entry_label: str  # "Ventes 2026-11-21 — <tenant name>"
    lines: pd.DataFrame
    entries: list[EntryInfo]
    unmapped_methods: list[str]
    unmapped_categories: list[str]
    unmapped_cases: pd.DataFrame  # FAILURE_COLUMNS: first order/payment of each unmapped name
    warnings: list[str]
    totals_by_method: dict[str, int]  # method name → takings incl. tips, net of refunds (cents)
    totals_by_rate: dict[str, dict[str, int]]  # "20" or "DE 19" → {"net_cents", "vat_cents", "gross_cents"}
    tips_cents: int
    rounding_cents: int  # sum over entries, signed as in EntryInfo

    @property
    def total_debit_cents(self) -> int:
        return int(self.lines["debit_cents"].sum()) if len(self.lines) else 0

    @property
    def total_credit_cents(self) -> int:
        return int(self.lines["credit_cents"].sum()) if len(self.lines) else 0

    @property
    def is_empty(self) -> bool:
        return not len(self.lines)

    def entry_lines(self, entry_key: str) -> pd.DataFrame:
        return self.lines[self.lines["entry_key"] == entry_key].reset_index(drop=True)

    def metadata(self) -> dict[str, object]:
        """JSON-friendly figures for the Dagster materialization."""
        return {
            "entries": len(self.entries),
            "lines": len(self.lines),
            "total_debit_cents": self.total_debit_cents,
            "total_credit_cents": self.total_credit_cents,
            "tips_cents": self.tips_cents,
            "rounding_cents": self.rounding_cents,
            "totals_by_method": dict(self.totals_by_method),
            "totals_by_rate": {k: dict(v) for k, v in self.totals_by_rate.items()},
            "unmapped_methods": list(self.unmapped_methods),
            "unmapped_categories": list(self.unmapped_categories),
            "warnings": list(self.warnings),
        }
