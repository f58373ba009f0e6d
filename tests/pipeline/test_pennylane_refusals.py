"""A Pennylane refusal (409/422) is never the till's fault (issue 10, point 13): it is a *bug*
(our request broke a rule) or a *mapping* error (the company's setup refuses it), the Toporder
file stays accepted, nothing is moved to ``rejected/`` and the till is not called back."""

from datetime import date

import httpx
import pytest

from emulators.generator import generate_day
from emulators.toporder_files import write_closure_file
from tests.pipeline.test_toporder_flow import bakery, till  # noqa: F401  (fixtures)


def _refuse_posts(world, token: str, text: str, status: int = 422) -> None:
    httpx.post(f"{world.pennylane_url}/_emulator/faults",
               json={"kind": "status", "status": status, "method": "POST", "path": "/ledger_entries",
                     "token": token, "error": text}).raise_for_status()


@pytest.mark.parametrize(("status", "text", "error_class"), [
    (422, "Entry lines are not balanced", "bug"),
    (422, "The fiscal year of 2026-11-20 is closed: entries cannot be created in a closed period", "mapping"),
    (409, "Piece number S20261120 has already been taken in this journal", "mapping"),
])
def test_a_good_toporder_file_refused_by_pennylane_stays_accepted_and_the_till_is_not_told(
        world, bakery, till, status, text, error_class):  # noqa: F811
    _tenant, act, token = bakery
    day = date(2026, 11, 20)
    good = write_closure_file(act.inbox_path.parent, act.identifier, generate_day("bakery", day, seed=5))
    world.instance.add_dynamic_partitions("tenant", ["bakery"])
    _refuse_posts(world, token, text, status)

    result = world.run("bakery", day.isoformat())

    assert not result.success
    assert world.received(token) == []
    row = world.warehouse.get_day_status("bakery", day.isoformat())
    assert (row["status"], row["error_class"]) == ("failed", error_class)
    assert text in row["reason"] and "tenant bakery" in row["reason"] and "day 2026-11-20" in row["reason"]
    # The file was accepted and stays accepted: no rejection report, no callback to the till.
    assert not (act.inbox_path / "rejected").exists() or list((act.inbox_path / "rejected").iterdir()) == []
    assert [p.name for p in (act.inbox_path / "processed" / day.isoformat()).glob("*.json")] == [good.name]
    assert till[1] == []

    # Once Pennylane accepts (the fault was one-off), a re-run posts the same accepted file.
    assert world.run("bakery", day.isoformat()).success
    [entry] = world.received(token)
    assert entry["date"] == "2026-11-20"
