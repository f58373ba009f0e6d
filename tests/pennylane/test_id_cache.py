"""Journal and ledger-account ids cached per Pennylane company in the warehouse (issue 12,
"Requests"): a second run (a new client, another process or pod) posts with one request; an id
Pennylane no longer knows is forgotten and looked up again, and the entry is still posted once."""

from datetime import date

from resources.pennylane.cache import PennylaneCache
from resources.pennylane.company import ExpectedCompany
from resources.posting import post_entry_exactly_once
from tests.pennylane.posting_helpers import draft, tenant, warehouse

DAY = date(2026, 3, 2)


def _client(emu, token, t, wh):
    return emu.client(token, tenant=t.slug, expected=ExpectedCompany.of(t), cache=PennylaneCache(wh),
                      today=lambda: DAY)


def test_a_new_run_reuses_the_warehouse_ids_and_posts_with_one_request(emu, tmp_path):
    t = tenant("bistro", "PL_TOKEN", 0)
    token = emu.company("Bistro", reg_no=t.siren)
    wh = warehouse(tmp_path)
    first = _client(emu, token, t, wh)
    post_entry_exactly_once(first, wh, t, "2026-03-02", "2026-03-02", draft(t.slug, DAY, 1000, 2000), True)

    second = _client(emu, token, t, wh)  # another run the same day: /me and every id come from the warehouse
    post_entry_exactly_once(second, wh, t, "2026-03-03", "2026-03-03", draft(t.slug, date(2026, 3, 3), 500, 0), True)

    assert second.requests_sent == 1
    assert [e["date"] for e in emu.summary()["companies"][0]["entries"]] == ["2026-03-02", "2026-03-03"]


def test_an_account_recreated_by_hand_is_looked_up_again_and_the_entry_posted_once(emu, tmp_path):
    t = tenant("bistro", "PL_TOKEN", 0)
    token = emu.company("Bistro", reg_no=t.siren)
    wh = warehouse(tmp_path)
    post_entry_exactly_once(_client(emu, token, t, wh), wh, t, "2026-03-02", "2026-03-02",
                            draft(t.slug, DAY, 1000, 2000), True)
    store = emu.app.store
    cid = store.company_for_token(token)["id"]
    [old] = [a for a in store.all("ledger_account", cid) if a["number"] == "530"]
    store.delete("ledger_account", cid, old["id"])  # the accountant deleted and re-created 530
    store.insert("ledger_account", cid, {**{k: v for k, v in old.items() if k != "id"}})

    again = _client(emu, token, t, wh)
    result = post_entry_exactly_once(again, wh, t, "2026-03-03", "2026-03-03",
                                     draft(t.slug, date(2026, 3, 3), 700, 0), True)

    [new] = [a for a in store.all("ledger_account", cid) if a["number"] == "530"]
    assert new["id"] != old["id"]
    assert PennylaneCache(wh).ids(f"{again.base_url}|{cid}", "account", ["530"]) == {"530": new["id"]}
    entries = emu.summary()["companies"][0]["entries"]
    assert [e["date"] for e in entries] == ["2026-03-02", "2026-03-03"]
    posted = again.get_ledger_entry(result.pennylane_id)
    assert new["id"] in {ln["ledger_account"]["id"] for ln in posted["ledger_entry_lines"]}
