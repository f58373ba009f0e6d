"""Exactly-once posting: created / unchanged / replaced / recovered, crashes, isolation."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core.errors import SourceDataError
from resources.posting import (
    EntryLine,
    deterministic_piece_number,
    post_entry_exactly_once,
    posting_log,
)
from tests.pennylane.posting_helpers import draft, entries_of, tenant, warehouse

DAY = date(2026, 3, 2)


def _lines(client, entry_id):
    got = client.get_ledger_entry(entry_id)
    return [(ln["ledger_account"]["number"], ln["label"], ln["debit"], ln["credit"]) for ln in got["ledger_entry_lines"]]


def test_piece_number_is_deterministic_and_short():
    a = deterministic_piece_number("boulangerie-martin", "2026-03-02")
    assert a == deterministic_piece_number("boulangerie-martin", "2026-03-02")
    assert a.startswith("S20260302-") and len(a) <= 20
    assert a != deterministic_piece_number("cafe-du-port", "2026-03-02")
    assert deterministic_piece_number("x", "2026-03").startswith("S202603-")


def test_post_then_rerun_is_unchanged_with_no_request(emu, tmp_path, monkeypatch):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    wh = warehouse(tmp_path)
    c = emu.client(token)
    d = draft(t.slug, DAY, cash=12000, card=30050, tips=550)
    first = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02", d, True)
    assert first.action == "created"
    assert _lines(c, first.pennylane_id) == [
        ("530", "Espèces", "120.00", "0.00"), ("5115", "Cartes bancaires", "300.50", "0.00"),
        ("707", "Ventes 20 %", "0.00", "345.83"), ("44571", "TVA collectée 20 %", "0.00", "69.17"),
        ("4286", "Pourboires", "0.00", "5.50"),
    ]
    sent = c.requests_sent
    again = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02", d, True)
    assert (again.action, again.pennylane_id) == ("unchanged", first.pennylane_id)
    assert c.requests_sent == sent
    with wh.engine.connect() as conn:
        row = conn.execute(sa.select(posting_log)).mappings().one()
    assert (row["status"], row["pennylane_id"], row["piece_number"]) == ("posted", first.pennylane_id, d.piece_number)


def test_changed_data_replaces_the_entry_in_place(emu, tmp_path):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    wh = warehouse(tmp_path)
    c = emu.client(token)
    first = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02",
                                    draft(t.slug, DAY, cash=12000, card=30000, tips=600), True)
    second = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02",
                                     draft(t.slug, DAY, cash=6000, card=6000), True)
    assert (second.action, second.pennylane_id) == ("replaced", first.pennylane_id)
    assert _lines(c, first.pennylane_id) == [
        ("530", "Espèces", "60.00", "0.00"), ("5115", "Cartes bancaires", "60.00", "0.00"),
        ("707", "Ventes 20 %", "0.00", "100.00"), ("44571", "TVA collectée 20 %", "0.00", "20.00"),
    ]
    assert [(e["total"], e["balanced"]) for e in entries_of(emu, "Boulangerie Martin")] == [("120.00", True)]


def test_crash_between_post_and_recording_is_recovered_without_a_second_post(emu, tmp_path):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    wh = warehouse(tmp_path)
    c = emu.client(token)
    d = draft(t.slug, DAY, cash=1000, card=2000)

    real = c.create_ledger_entry

    def post_then_die(payload):
        real(payload)
        raise KeyboardInterrupt("process killed after POST, before recording the id")

    c.create_ledger_entry = post_then_die
    with pytest.raises(KeyboardInterrupt):
        post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02", d, True)
    with wh.engine.connect() as conn:
        assert conn.execute(sa.select(posting_log.c.status, posting_log.c.pennylane_id)).one() == ("pending", None)

    fresh = emu.client(token)  # the "next process"
    result = post_entry_exactly_once(fresh, wh, t, "2026-03-02", "2026-03-02", d, True)
    assert result.action == "recovered"
    assert [e["id"] for e in entries_of(emu, "Boulangerie Martin")] == [result.pennylane_id]


def test_dropped_post_is_looked_up_not_reposted(emu, tmp_path):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    wh = warehouse(tmp_path)
    c = emu.client(token)
    c.journal_id("VT", "Ventes")
    emu.fault(kind="drop", count=1, method="POST", path="/ledger_entries", token=token)
    result = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02", draft(t.slug, DAY, 1000, 2000), True)
    assert result.action == "recovered"
    assert len(entries_of(emu, "Boulangerie Martin")) == 1


def test_failed_post_before_commit_is_posted_again_once(emu, tmp_path):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    wh = warehouse(tmp_path)
    c = emu.client(token)
    c.journal_id("VT", "Ventes")
    emu.fault(kind="status", status=503, count=1, method="POST", path="/ledger_entries", token=token)
    result = post_entry_exactly_once(c, wh, t, "2026-03-02", "2026-03-02", draft(t.slug, DAY, 1000, 2000), True)
    assert result.action == "created"
    assert len(entries_of(emu, "Boulangerie Martin")) == 1


def test_unbalanced_draft_is_refused_before_any_request(emu, tmp_path):
    token = emu.company("Boulangerie Martin")
    t = tenant("boulangerie-martin", "PL_TOKEN_BM")
    c = emu.client(token)
    d = draft(t.slug, DAY, 1000, 2000)
    d.lines.append(EntryLine("758", "Écart", 0, 3))
    with pytest.raises(SourceDataError, match=r"tenant boulangerie-martin, day 2026-03-02.*debit 30.00 ≠ credit 30.03"):
        post_entry_exactly_once(c, warehouse(tmp_path), t, "2026-03-02", "2026-03-02", d, True)
    assert c.requests_sent == 0


def test_tenant_entries_only_go_to_the_tenants_company(emu, tmp_path, monkeypatch):
    from resources.pennylane import PennylaneNotFoundError, PennylaneResource

    ta, tb = tenant("boulangerie-martin", "PL_TOKEN_A", 0), tenant("cafe-du-port", "PL_TOKEN_B", 1)
    tok_a = emu.company("Boulangerie Martin", reg_no=ta.siren)
    tok_b = emu.company("Café du Port", reg_no=tb.siren)
    monkeypatch.setenv("PL_TOKEN_A", tok_a)
    monkeypatch.setenv("PL_TOKEN_B", tok_b)
    wh = warehouse(tmp_path)
    res = PennylaneResource(base_url_override=emu.base_url)
    ca, cb = res.client_for(ta), res.client_for(tb)
    assert res.client_for(ta) is ca
    assert ca.me()["company"]["name"] == "Boulangerie Martin"
    ra = post_entry_exactly_once(ca, wh, ta, "2026-03-02", "2026-03-02", draft(ta.slug, DAY, 1000, 2000), True)
    rb = post_entry_exactly_once(cb, wh, tb, "2026-03-02", "2026-03-02", draft(tb.slug, DAY, 5000, 0), True)
    assert [e["id"] for e in entries_of(emu, "Boulangerie Martin")] == [ra.pennylane_id]
    assert [e["id"] for e in entries_of(emu, "Café du Port")] == [rb.pennylane_id]
    with pytest.raises(PennylaneNotFoundError):  # B's token cannot see A's entry
        cb.get_ledger_entry(ra.pennylane_id)
    a_accounts = ca.ledger_account_ids(["530"], False)
    with pytest.raises(PennylaneNotFoundError, match="LedgerAccount"):  # nor use A's accounts
        cb.create_ledger_entry({"date": "2026-03-02", "label": "x", "journal_id": cb.journal_id("VT", "Ventes"),
                                "ledger_entry_lines": [
                                    {"debit": "1.00", "credit": "0.00", "ledger_account_id": a_accounts["530"]},
                                    {"debit": "0.00", "credit": "1.00", "ledger_account_id": a_accounts["530"]}]})
