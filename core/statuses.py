"""The states a tenant-period goes through; each value is what the warehouse and the run metadata
store, so that databases written before these enums stay valid.

- :class:`DayStatus`     a tenant-period in the warehouse's ``day_status`` table, set by each step
                         of the sales pipeline (fetch → map → post) and read by the next one, the
                         waiting sensor and the CLI.
- :class:`StepStatus`    what became of one partition key in one asset's run.
- :class:`PeriodOutcome` what one end-to-end run of a period did (CLI, tests, benchmarks).
"""

from __future__ import annotations

from enum import StrEnum


class DayStatus(StrEnum):
    WAITING = "waiting"  # the source has not closed the period yet; looked at again later
    COMPLETE = "complete"  # fetched and stored, with sales
    EMPTY = "empty"  # fetched, no sales; or, after posting, nothing to post
    MAPPED = "mapped"  # journal lines stored, every blocking check passed
    POSTED = "posted"  # every entry of the period is in Pennylane
    FAILED = "failed"  # a step failed; ``error_class`` says whose problem it is


class StepStatus(StrEnum):
    TODO = "todo"  # to process in this step
    SKIPPED = "skipped"  # not a period start, tenant disconnected, or the upstream step left it
    WAITING = "waiting"  # the source has not closed the period: nothing downstream runs
    DONE = "done"
    FAILED = "failed"


class PeriodOutcome(StrEnum):
    POSTED = "posted"  # a new entry (or one recovered from an earlier, interrupted run)
    REPLACED = "replaced"  # the period changed: its entry was replaced, never doubled
    UNCHANGED = "unchanged"  # already posted with the same lines: nothing sent
    WAITING = "waiting"
    EMPTY = "empty"  # no sales: nothing to post
    FAILED = "failed"
