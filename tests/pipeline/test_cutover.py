"""A safe switch from another integration (issue 13, point 3): nothing before ``cutover_date``
is ever posted, and a day another tool already posted in the journal fails as a mapping error
with nothing posted, unless the journal is shared on purpose. Budget: one journal read per run,
none when nothing changed."""

from datetime import date

import pytest

from core.errors import MappingError
from core.periods import last_complete_period_key, period_keys
from emulators.generator import generate_day
from resources.pennylane import PennylaneClient
from resources.pennylane.journal_guard import OUR_PIECE_NUMBER, JournalGuard
from resources.tenants import get_tenant

DAY = date(2026, 11, 20)


def _ops(world) -> dict[str, int]:
    return dict(world.pennylane.stats["by_operation"])


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _other_tool_posts(world, token: str, day: date) -> dict:
    """The previous integration (its own piece numbers) posts the day into the sales journal."""
    other = PennylaneClient(token, world.pennylane_url + "/api/external/v2", tenant="other-tool")
    try:
        jid = other.journal_id("VT", "Ventes")
        ids = other.ledger_account_ids(["530", "707"], True)
        return other.create_ledger_entry({
            "date": day.isoformat(), "label": "Z caisse 20/11 (Chift)", "journal_id": jid, "currency": "EUR",
            "piece_number": "CHIFT-000417", "ledger_entry_lines": [
                {"debit": "50.00", "credit": "0.00", "ledger_account_id": ids["530"], "label": "Espèces"},
                {"debit": "0.00", "credit": "50.00", "ledger_account_id": ids["707"], "label": "Ventes"}]})
    finally:
        other.close()


def test_nothing_before_the_cutover_date_is_posted_even_by_a_backfill_from_start_date(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01", cutover_date="2026-11-19")
    tenant = get_tenant("bistro", world.registry_dir)
    for d in (date(2026, 11, 18), date(2026, 11, 19)):
        world.chift.add_day(consumer, generate_day("restaurant", d, seed=d.day))

    # The registry sensor's backfill and the schedule start at the cutover, not at start_date.
    assert period_keys(tenant, tenant.start_date, date(2026, 11, 20))[0] == "2026-11-19"
    assert last_complete_period_key(tenant, date(2026, 11, 19)) is None
    # A run launched by hand on a day before it (a UI backfill from start_date) posts nothing.
    assert world.run("bistro", "2026-11-18").success
    assert world.received(token) == []
    assert world.run("bistro", "2026-11-19").success
    assert [e["date"] for e in world.received(token)] == ["2026-11-19"]


def test_the_client_itself_never_writes_an_entry_dated_before_the_cutover(world):
    world.add_chift_tenant("bistro", start_date="2026-11-01", cutover_date="2026-11-19")
    tenant = get_tenant("bistro", world.registry_dir)
    client = world.resources()["pennylane"].client_for(tenant, world.warehouse)
    jid = client.journal_id("VT", "Ventes")
    ids = client.ledger_account_ids(["530", "707"], True)
    with pytest.raises(MappingError, match="before the tenant's cutover date 2026-11-19") as info:
        client.create_ledger_entry({
            "date": "2026-11-18", "label": "x", "journal_id": jid, "currency": "EUR", "piece_number": "S1",
            "ledger_entry_lines": [
                {"debit": "1.00", "credit": "0.00", "ledger_account_id": ids["530"], "label": "a"},
                {"debit": "0.00", "credit": "1.00", "ledger_account_id": ids["707"], "label": "b"}]})
    assert info.value.field_name == "cutover_date"
    assert world.received("tok-bistro") == []
    client.close()


def test_a_day_already_posted_by_another_tool_fails_as_mapping_and_posts_nothing(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))
    other = _other_tool_posts(world, token, DAY)

    result = world.run("bistro", DAY.isoformat())

    assert not result.success
    assert [e["piece_number"] for e in world.received(token)] == ["CHIFT-000417"]  # only the other tool's
    row = world.warehouse.get_day_status("bistro", DAY.isoformat())
    assert (row["status"], row["error_class"]) == ("failed", "mapping")
    assert f"already posted by another tool: entry {other['id']}, 'Z caisse 20/11 (Chift)'" in row["reason"]
    assert "tenant bistro" in row["reason"] and "day 2026-11-20" in row["reason"]


def test_a_journal_shared_on_purpose_is_posted_beside_the_other_tools_entry(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01",
                                             pennylane={"shared_journals": ["VT"]})
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))
    _other_tool_posts(world, token, DAY)

    assert world.run("bistro", DAY.isoformat()).success
    pieces = sorted(e["piece_number"] for e in world.received(token))
    assert pieces[0] == "CHIFT-000417" and OUR_PIECE_NUMBER.match(pieces[1]) and len(pieces) == 2


def test_our_own_entries_pass_and_the_check_costs_one_read_per_run_none_when_nothing_changed(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    for d in (date(2026, 11, 20), date(2026, 11, 21)):
        world.chift.add_day(consumer, generate_day("restaurant", d, seed=d.day))
    assert world.run("bistro", "2026-11-20").success

    before = _ops(world)
    assert world.run("bistro", "2026-11-21").success  # the day before holds our own entry: no error
    assert _delta(before, _ops(world)).get("GET list_ledger_entries") == 1

    before = _ops(world)
    assert world.run("bistro", "2026-11-21").success  # unchanged re-run
    assert _delta(before, _ops(world)) == {}
    assert [e["date"] for e in world.received(token)] == ["2026-11-20", "2026-11-21"]


def test_only_foreign_piece_numbers_outside_the_posting_log_count_as_another_tool():
    mine = {101}
    entries = [{"id": 101, "date": "2026-11-20", "label": "ours, logged", "piece_number": "X"},
               {"id": 102, "date": "2026-11-20", "label": "ours, crash before logging", "piece_number": "S20261120-3f9a0c1b"},
               {"id": 103, "date": "2026-11-21", "label": "another day", "piece_number": "Z-1"}]
    guard = JournalGuard("bistro", None, frozenset(), lambda ids: mine & ids)
    calls = []

    def list_entries(filters):
        calls.append(filters)
        return iter(entries)

    guard.before_entry({"date": "2026-11-20", "journal_id": 7}, "VT", list_entries)
    guard.before_entry({"date": "2026-11-22", "journal_id": 7}, "VT", list_entries)  # later day: same read
    assert len(calls) == 1
    entries.append({"id": 104, "date": "2026-11-19", "label": "Ventes (Zelty)", "piece_number": "ZL-9"})
    with pytest.raises(MappingError, match="entry 104, 'Ventes \\(Zelty\\)'"):
        guard.before_entry({"date": "2026-11-19", "journal_id": 7}, "VT", list_entries)  # earlier: widened
    assert calls[1][-1] == {"field": "date", "operator": "lt", "value": "2026-11-20"}
