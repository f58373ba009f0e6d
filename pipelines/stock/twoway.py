"""Two-way field sync with most-recent-change-wins (pure).

Each synced field has three values: ``local`` (ours now), ``remote`` (Pennylane now) and
``synced`` (what both sides last agreed on). Per field: if only one side moved away from
``synced``, that side wins without discussion; if both moved to different values, the more
recent change wins (local change time vs Pennylane ``updated_at``; a tie goes to Pennylane,
the system of record) and the decision is reported so it can be logged. Different fields are
independent: a name changed in Pennylane and a SKU changed locally are both kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Conflict:
    field: str
    local: object
    remote: object
    winner: str  # "local" | "pennylane"
    local_changed_at: datetime | None
    remote_updated_at: datetime | None

    def describe(self) -> str:
        kept = self.local if self.winner == "local" else self.remote
        return (f"{self.field}: local {self.local!r} (changed {self.local_changed_at}) vs Pennylane "
                f"{self.remote!r} (updated {self.remote_updated_at}) → kept {kept!r} ({self.winner} is more recent)")


@dataclass
class MergeResult:
    values: dict[str, object]  # the agreed values after the merge
    apply_locally: dict[str, object] = field(default_factory=dict)
    push_to_pennylane: dict[str, object] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def merge_fields(local: Mapping[str, object], remote: Mapping[str, object], synced: Mapping[str, object], *,
                 local_changed_at: datetime | None, remote_updated_at: datetime | None) -> MergeResult:
    out = MergeResult(values={})
    for name in local:
        lv, rv, sv = local[name], remote.get(name), synced.get(name)
        if lv == rv:
            value = lv
        elif lv == sv:  # only Pennylane changed
            value = rv
            out.apply_locally[name] = rv
        elif rv == sv:  # only we changed
            value = lv
            out.push_to_pennylane[name] = lv
        else:
            local_wins = (local_changed_at is not None and
                          (remote_updated_at is None or local_changed_at > remote_updated_at))
            winner = "local" if local_wins else "pennylane"
            out.conflicts.append(Conflict(name, lv, rv, winner, local_changed_at, remote_updated_at))
            if local_wins:
                value = lv
                out.push_to_pennylane[name] = lv
            else:
                value = rv
                out.apply_locally[name] = rv
        out.values[name] = value
    return out
