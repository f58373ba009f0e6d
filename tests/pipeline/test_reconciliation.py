"""``sales_reconciliation``: a tenant's month in Pennylane against what we posted. Posted through
the real pipeline, touched by hand in the Pennylane emulator the way an accountant would in the
web app, then reconciled: every difference is named (day, account, amounts, entry)."""

from datetime import date

import dagster as dg
import httpx

from core.money import amount_to_cents, cents_to_amount
from emulators.generator import generate_day
from pipelines.sales.reconciliation import month_key, sales_reconciliation
from resources.pennylane import PennylaneResource
from resources.tenants import get_tenant

MONTH = date(2026, 11, 1)
DAYS = (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20))


def posted_month(world):
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-18")
    for seed, day in enumerate(DAYS, start=1):
        world.chift.add_day(consumer, generate_day("restaurant", day, seed=seed))
        assert world.run("bistro", day.isoformat()).success
    return token


def reconcile(world) -> tuple[dg.AssetCheckEvaluation, dict]:
    result = dg.materialize([sales_reconciliation], partition_key=month_key("bistro", MONTH),
                            instance=world.instance, resources=world.resources(), raise_on_error=False)
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    [materialization] = result.asset_materializations_for_node("sales_reconciliation")
    return evaluation, {k: v.value for k, v in materialization.metadata.items()}


def entries_of(world, token):
    store = world.pennylane.store
    company = store.company_for_token(token)
    accounts = {a["id"]: a["number"] for a in store.all("ledger_account", company["id"])}
    return company, accounts, sorted(store.all("ledger_entry", company["id"]), key=lambda e: e["date"])


def test_an_untouched_month_matches_to_the_cent_in_a_handful_of_requests(world):
    token = posted_month(world)
    before = world.pennylane.stats["requests"]
    evaluation, meta = reconcile(world)
    requests = world.pennylane.stats["requests"] - before
    assert evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.description.startswith("tenant bistro, 11/2026: Pennylane's journal VT equals what we posted")
    lines = sum(len(e["lines"]) for e in entries_of(world, token)[2])
    assert meta["differences"] == 0 and meta["lines_posted"] == meta["lines_in_pennylane"] == lines
    # list journals, then one page of lines and one page of entries (≤ 100 items each)
    assert lines <= 100 and requests == 3


def test_an_entry_deleted_by_hand_is_named_with_every_account_it_held(world):
    token = posted_month(world)
    _, accounts, entries = entries_of(world, token)
    deleted = entries[1]  # the 19th
    response = httpx.request("DELETE", f"{world.pennylane_url}/_emulator/ledger_entries/{deleted['id']}",
                             json={"token": token})
    assert response.status_code == 204

    evaluation, meta = reconcile(world)
    assert not evaluation.passed
    balances = {}
    for ln in deleted["lines"]:
        number = accounts[ln["ledger_account_id"]]
        balances[number] = balances.get(number, 0) + amount_to_cents(ln["debit"]) - amount_to_cents(ln["credit"])
    balances = {k: v for k, v in balances.items() if v}
    assert meta["differences"] == len(balances)
    text = evaluation.description
    assert text.startswith(f"tenant bistro, 11/2026: {len(balances)} difference(s) between what we posted and Pennylane")
    for number in balances:
        assert f"- 2026-11-19 · {number}: expected " in text
    assert "Pennylane holds 0,00\u00a0€" in text and "(no entry in Pennylane)" in text
    assert "2026-11-18" not in text and "2026-11-20" not in text


def test_a_line_edited_by_hand_and_an_entry_keyed_in_by_hand_are_both_reported(world):
    token = posted_month(world)
    tenant = get_tenant("bistro", world.registry_dir)
    client = PennylaneResource().client_for(tenant)
    entries = entries_of(world, token)[2]
    edited = entries[0]  # the 18th: move 10,00 € from one debit line to the 471 suspense account
    first = next(ln for ln in client.get_ledger_entry(edited["id"])["ledger_entry_lines"] if ln["debit"] != "0.00")
    suspense = client.ledger_account_ids(["471000"], create_missing=True)["471000"]
    lowered = cents_to_amount(amount_to_cents(first["debit"]) - 1000)
    client.update_ledger_entry(edited["id"], {"ledger_entry_lines": {
        "update": [{"id": first["id"], "debit": lowered, "credit": "0.00",
                    "ledger_account_id": first["ledger_account"]["id"], "label": first["label"]}],
        "create": [{"debit": "10.00", "credit": "0.00", "ledger_account_id": suspense, "label": "corrigé à la main"}],
    }})
    journal = client.journal_id("VT", "Ventes", create=False)
    ids = client.ledger_account_ids(["530000", "758000"], create_missing=True)
    manual = client.create_ledger_entry({"date": "2026-11-20", "label": "Saisie manuelle", "journal_id": journal,
                                         "ledger_entry_lines": [
                                             {"debit": "5.00", "credit": "0.00", "ledger_account_id": ids["530000"],
                                              "label": "manuel"},
                                             {"debit": "0.00", "credit": "5.00", "ledger_account_id": ids["758000"],
                                              "label": "manuel"}]})

    evaluation, meta = reconcile(world)
    assert not evaluation.passed
    text = evaluation.description
    number = first["ledger_account"]["number"]
    assert f"- 2026-11-18 · 471000: expected 0,00\u00a0€, Pennylane holds debit 10,00\u00a0€, difference debit " \
           f"10,00\u00a0€ (entries #{edited['id']} {edited['piece_number']})" in text
    assert f"- 2026-11-18 · {number}: expected debit " in text and "difference credit 10,00\u00a0€" in text
    assert f"- 2026-11-20 · 758000: expected 0,00\u00a0€, Pennylane holds credit 5,00\u00a0€, difference credit " \
           f"5,00\u00a0€ (entries #{manual['id']} {manual['piece_number']})" in text
    # 530000 may also carry the day's cash: only the 5,00 € keyed in by hand differs
    assert "- 2026-11-20 · 530000: " in text and "difference debit 5,00\u00a0€" in text
    assert meta["differences"] == 4
