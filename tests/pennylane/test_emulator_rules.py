"""Pennylane's rules as the emulator enforces them (without and with the spec)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from emulators.pennylane import create_app
from emulators.server import serve


def _api(emu, token):
    return httpx.Client(base_url=emu.base_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _setup(emu):
    token = emu.company()
    c = emu.client(token)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707"], True)
    return token, jid, ids


def test_unknown_token_gets_401_with_pennylanes_body(emu):
    r = httpx.get(f"{emu.base_url}/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == {"error": "Unauthorized: the access token is invalid or expired", "status": 401}


def test_more_than_1000_lines_is_422(emu):
    token, jid, ids = _setup(emu)
    lines = [{"debit": "1.00", "credit": "0.00", "ledger_account_id": ids["530"]}] * 500 + \
            [{"debit": "0.00", "credit": "1.00", "ledger_account_id": ids["707"]}] * 501
    r = _api(emu, token).post("ledger_entries", json={"date": "2026-03-02", "label": "x", "journal_id": jid,
                                                      "ledger_entry_lines": lines})
    assert r.status_code == 422
    assert r.json() == {"error": "A ledger entry can have at most 1000 lines (1001 given)", "status": 422}


def test_replacing_lines_must_still_balance(emu):
    token, jid, ids = _setup(emu)
    api = _api(emu, token)
    e = api.post("ledger_entries", json={"date": "2026-03-02", "label": "x", "journal_id": jid, "ledger_entry_lines": [
        {"debit": "5.00", "credit": "0.00", "ledger_account_id": ids["530"]},
        {"debit": "0.00", "credit": "5.00", "ledger_account_id": ids["707"]}]}).json()
    r = api.put(f"ledger_entries/{e['id']}", json={"ledger_entry_lines": {
        "update": [{"id": e["ledger_entry_lines"][0]["id"], "debit": "6.00"}]}})
    assert (r.status_code, r.json()) == (422, {"error": "Entry lines are not balanced", "status": 422})
    assert [ln["debit"] for ln in api.get(f"ledger_entries/{e['id']}").json()["ledger_entry_lines"]] == ["5.00", "0.00"]


def test_filter_must_be_a_json_string_with_allowed_operators(emu):
    token, _jid, _ids = _setup(emu)
    api = _api(emu, token)
    r = api.get("ledger_accounts", params={"filter": '[{"field":"label","operator":"eq","value":"x"}]'})
    assert r.status_code == 400 and "Filtering on field 'label' is not allowed" in r.json()["error"]
    r = api.get("ledger_accounts", params={"filter": '[{"field":"number","operator":"gt","value":"5"}]'})
    assert r.status_code == 400 and "Operator 'gt' is not allowed on field 'number'" in r.json()["error"]
    r = api.get("ledger_accounts", params={"filter": '[{"field":"number","operator":"start_with","value":"53"}]'})
    assert [a["number"] for a in r.json()["items"]] == ["530"]


def test_rules_hold_without_the_spec(tmp_path):
    app = create_app(tmp_path / "nospec.db", rate_limit=False)
    app.store.register_company("t", "Demo")
    with serve(app) as srv:
        api = httpx.Client(base_url=srv.url + "/api/external/v2/", headers={"Authorization": "Bearer t"})
        jid = api.post("journals", json={"code": "VT", "label": "Ventes"}).json()["id"]
        acc = api.post("ledger_accounts", json={"number": "530", "label": "Caisse"}).json()["id"]
        r = api.post("ledger_entries", json={"date": "2026-03-02", "label": "x", "journal_id": jid,
                                             "ledger_entry_lines": [{"debit": 5, "credit": "0.00",
                                                                     "ledger_account_id": acc}]})
        assert r.status_code == 400 and r.json()["field"] == "ledger_entry_lines[0].debit"
        r = api.post("ledger_entries", json={"date": "2026-03-02", "label": "x", "journal_id": jid,
                                             "ledger_entry_lines": [{"debit": "5.00", "credit": "0.00",
                                                                     "ledger_account_id": acc}]})
        assert r.json() == {"error": "Entry lines are not balanced", "status": 422}
        r = api.post("products", json={"label": "x", "price_before_tax": "1.00", "vat_rate": "FR_055"})
        assert r.status_code == 400 and r.json()["code"] == "NotEnumInclude"
        r = api.post("journals", json={"label": "Ventes"})
        assert r.json() == {"message": "code is required", "code": "NotExistRequiredKey", "field": "code"}
    assert app.spec_violations == []


def test_rate_limit_is_25_per_5_seconds_with_headers(emu_real_limit):
    emu = emu_real_limit
    token = emu.company()
    api = _api(emu, token)
    answers = [api.get("journals") for _ in range(26)]
    assert [a.status_code for a in answers[:25]] == [200] * 25
    assert answers[0].headers["ratelimit-limit"] == "25"
    assert answers[0].headers["ratelimit-remaining"] == "24"
    assert int(answers[0].headers["ratelimit-reset"]) >= int(time.time())
    last = answers[25]
    assert last.status_code == 429
    assert 1 <= int(last.headers["retry-after"]) <= 5
    assert last.headers["ratelimit-remaining"] == "0"
    assert last.text == f"Rate limit exceeded. Please retry in {last.headers['retry-after']} seconds."
    other = emu.company("Other")  # per token: another company is not throttled
    assert _api(emu, other).get("journals").status_code == 200


def test_client_limiter_prevents_any_429(emu_real_limit):
    emu = emu_real_limit
    c = emu.client(emu.company())
    start = time.monotonic()
    for _ in range(30):
        c.list_journals()
    elapsed = time.monotonic() - start
    assert c.requests_sent == 30 and emu.app.stats["throttled"] == 0
    assert elapsed >= 4.9  # the 26th request waited for the window


def test_state_survives_a_restart_and_summary_cli(tmp_path):
    db = tmp_path / "state.db"
    app = create_app(db, rate_limit=False)
    app.store.register_company("t", "Épicerie Fine")
    with serve(app) as srv:
        api = httpx.Client(base_url=srv.url + "/api/external/v2/", headers={"Authorization": "Bearer t"})
        jid = api.post("journals", json={"code": "VT", "label": "Ventes"}).json()["id"]
        acc = api.post("ledger_accounts", json={"number": "530", "label": "Caisse"}).json()["id"]
        api.post("ledger_entries", json={"date": "2026-03-02", "label": "Ventes 2026-03-02", "journal_id": jid,
                                         "piece_number": "S20260302-abc",
                                         "ledger_entry_lines": [
                                             {"debit": "9.90", "credit": "0.00", "ledger_account_id": acc},
                                             {"debit": "0.00", "credit": "9.90", "ledger_account_id": acc}]})
    again = create_app(db, rate_limit=False)  # another "process" on the same file
    with serve(again) as srv:
        r = httpx.get(srv.url + "/api/external/v2/ledger_entries", headers={"Authorization": "Bearer t"})
        assert [e["piece_number"] for e in r.json()["items"]] == ["S20260302-abc"]
    out = subprocess.run([sys.executable, "-m", "emulators.pennylane", "summary", "--db", str(db)],
                         capture_output=True, text=True, check=True).stdout
    assert "Épicerie Fine" in out
    assert "2026-03-02  S20260302-abc        VT            9.90     2 lines  balanced  Ventes 2026-03-02" in out


@pytest.mark.parametrize("bad", ['{"field":"id"}', "not json", '[{"field":"number","operator":"in","value":5}]'])
def test_malformed_filters_are_400(emu, bad):
    token = emu.company()
    assert _api(emu, token).get("ledger_accounts", params={"filter": bad}).status_code == 400
