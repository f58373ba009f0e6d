"""Posting into the right company, or not at all (issue 13, point 1): before the first write of a
run, ``GET /me`` must show the tenant's company (``reg_no`` = the SIREN of its SIRET) and every
scope the tenant needs; the answer is cached per token per day in the warehouse."""

from datetime import date

from emulators.generator import generate_day
from tests.pipeline.tenant_files import tenant_doc

DAY = date(2026, 11, 20)


def _me_requests(world) -> int:
    return world.pennylane.stats["by_operation"].get("GET get_me", 0)


def test_a_token_of_another_company_posts_nothing_and_names_both_companies(world):
    # The token pasted into the bistro's file opens another firm's client company.
    world.pennylane.store.register_company("tok-bistro", "Garage Martin SARL", reg_no="732829320")
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))
    siren = tenant_doc("bistro")["siret"][:9]

    result = world.run("bistro", DAY.isoformat())

    assert not result.success
    assert world.received(token) == []
    company = world.pennylane.store.company_for_token(token)
    assert [j for j in world.pennylane.store.all("journal", company["id"])] == []  # not even a journal
    assert world.pennylane.store.all("ledger_account", company["id"]) == []
    row = world.warehouse.get_day_status("bistro", DAY.isoformat())
    assert (row["status"], row["error_class"]) == ("failed", "mapping")
    reason = row["reason"]
    assert "'Garage Martin SARL'" in reason and "SIREN 732829320" in reason
    assert "'Bistro SAS'" in reason and f"SIREN {siren}" in reason
    assert "tenant bistro" in reason and "nothing is posted" in reason
    assert _me_requests(world) == 1


def test_a_token_missing_a_scope_posts_nothing_and_names_the_scope(world):
    world.pennylane.store.register_company("tok-bistro", "Bistro SAS", reg_no=tenant_doc("bistro")["siret"][:9],
                                           scopes=["journals:all", "ledger_accounts:all", "ledger_entries:readonly"])
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))

    result = world.run("bistro", DAY.isoformat())

    assert not result.success and world.received(token) == []
    row = world.warehouse.get_day_status("bistro", DAY.isoformat())
    assert row["error_class"] == "mapping"
    assert "lacks the scope(s) ledger_entries:all" in row["reason"]


def test_the_right_company_is_checked_once_per_token_per_day_across_runs(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-01")
    for day in (date(2026, 11, 20), date(2026, 11, 21)):
        world.chift.add_day(consumer, generate_day("restaurant", day, seed=day.day))

    assert world.run("bistro", "2026-11-20").success
    assert world.run("bistro", "2026-11-21").success  # another run (new resources, new client)

    assert [e["date"] for e in world.received(token)] == ["2026-11-20", "2026-11-21"]
    assert _me_requests(world) == 1  # the second run found today's answer in the warehouse
