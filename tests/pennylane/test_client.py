"""PennylaneClient against the emulator over a real socket, every request checked against the spec."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from core.errors import MappingError, SourceDataError
from resources.pennylane import (
    PennylaneAmbiguousWriteError,
    PennylaneDataError,
    PennylaneMappingError,
    PennylaneNotFoundError,
    PennylaneRequestError,
    PennylaneSetupRefusal,
    PennylaneTransientError,
)


def _entry(jid: int, ids: dict[str, int], debit: str = "12.00", day: str = "2026-03-02") -> dict:
    return {
        "date": day, "label": "Ventes", "journal_id": jid, "piece_number": "S1", "currency": "EUR",
        "ledger_entry_lines": [
            {"debit": debit, "credit": "0.00", "ledger_account_id": ids["530"], "label": "Caisse"},
            {"debit": "0.00", "credit": "10.00", "ledger_account_id": ids["707"], "label": "Ventes 20 %"},
            {"debit": "0.00", "credit": "2.00", "ledger_account_id": ids["44571"], "label": "TVA 20 %"},
        ],
    }


def test_me_returns_the_token_company(emu):
    token = emu.company("Boulangerie Martin")
    me = emu.client(token).me()
    assert me["company"]["name"] == "Boulangerie Martin"
    assert "ledger_entries:all" in me["scopes"]


def test_journal_is_created_once_then_cached(emu):
    c = emu.client(emu.company())
    jid = c.journal_id("VT", "Ventes")
    sent = c.requests_sent
    assert c.journal_id("VT", "Ventes") == jid
    assert c.requests_sent == sent  # cached: no request
    assert c.list_journals() == [{"code": "VT", "id": jid, "label": "Ventes", "type": "sales"}]


def test_unknown_journal_without_create_is_a_mapping_error(emu):
    c = emu.client(emu.company())
    with pytest.raises(MappingError, match="journal OD does not exist"):
        c.journal_id("OD", "Opérations diverses", create=False)


def test_missing_accounts_are_created_with_their_pcg_label(emu):
    c = emu.client(emu.company())
    ids = c.ledger_account_ids(["5115", "530", "4286"], create_missing=True)
    accounts = {a["number"]: (a["id"], a["label"]) for a in c.list_ledger_accounts(["5115", "530", "4286"])}
    assert accounts == {
        "5115": (ids["5115"], "Cartes bancaires à encaisser (pratique)"),
        "530": (ids["530"], "Caisse"),
        "4286": (ids["4286"], "Personnel – pourboires à reverser"),
    }
    sent = c.requests_sent
    assert c.ledger_account_ids(["530"], create_missing=False) == {"530": ids["530"]}
    assert c.requests_sent == sent


def test_missing_accounts_when_creation_is_off_name_every_account(emu):
    c = emu.client(emu.company())
    c.ledger_account_ids(["530"], create_missing=True)
    with pytest.raises(MappingError) as info:
        c.ledger_account_ids(["530", "5112", "709"], create_missing=False)
    assert "ledger account(s) 5112, 709 do not exist in Pennylane" in str(info.value)
    assert info.value.details == {"missing_accounts": ["5112", "709"]}


def test_ledger_entry_create_get_list_update(emu):
    c = emu.client(emu.company())
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    created = c.create_ledger_entry(_entry(jid, ids))
    got = c.get_ledger_entry(created["id"])
    assert [(ln["ledger_account"]["number"], ln["debit"], ln["credit"], ln["label"]) for ln in got["ledger_entry_lines"]] == [
        ("530", "12.00", "0.00", "Caisse"), ("707", "0.00", "10.00", "Ventes 20 %"), ("44571", "0.00", "2.00", "TVA 20 %"),
    ]
    listed = list(c.list_ledger_entries(journal_id=jid, date="2026-03-02"))
    assert [(e["id"], e["piece_number"]) for e in listed] == [(created["id"], "S1")]
    assert list(c.list_ledger_entries(journal_id=jid, date="2026-03-03")) == []
    lines = sorted(c.list_ledger_entry_lines(created["id"]), key=lambda ln: ln["id"])  # default sort: -id
    assert [ln["id"] for ln in lines] == [ln["id"] for ln in got["ledger_entry_lines"]]
    updated = c.update_ledger_entry(created["id"], {"label": "Ventes corrigées", "ledger_entry_lines": {
        "update": [{"id": lines[0]["id"], "debit": "24.00"}, {"id": lines[1]["id"], "credit": "20.00"},
                   {"id": lines[2]["id"], "credit": "4.00"}]}})
    assert updated["label"] == "Ventes corrigées"
    assert [ln["debit"] for ln in updated["ledger_entry_lines"]] == ["24.00", "0.00", "0.00"]


def test_unbalanced_entry_is_refused_as_our_bug_never_the_sources(emu):
    c = emu.client(emu.company())
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    with pytest.raises(PennylaneDataError) as info:
        c.create_ledger_entry(_entry(jid, ids, debit="12.01"))
    assert info.value.status == 422
    assert info.value.error_class == "bug"  # we check the balance before posting: a refusal is our bug
    assert not isinstance(info.value, SourceDataError)
    assert "Entry lines are not balanced" in str(info.value)
    assert emu.summary()["companies"][0]["entries"] == []


def test_amount_sent_as_a_number_is_a_400_request_error(emu):
    c = emu.client(emu.company())
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    payload = _entry(jid, ids)
    payload["ledger_entry_lines"][0]["debit"] = 12.0
    with pytest.raises(PennylaneRequestError) as info:
        c.create_ledger_entry(payload)
    assert info.value.status == 400 and info.value.error_class == "bug"
    assert "12.0 is not of type 'string'" in str(info.value)
    assert len(emu.app.spec_violations) == 1  # recorded: this test sent it on purpose
    emu.app.spec_violations.clear()


def test_unknown_token_is_a_mapping_error(emu):
    with pytest.raises(PennylaneMappingError) as info:
        emu.client("not-a-token").me()
    assert info.value.status == 401


def test_missing_scope_is_a_403_mapping_error(emu):
    token = "tok-readonly"
    httpx.post(f"{emu.url}/_emulator/companies",
               json={"token": token, "name": "RO", "scopes": ["journals:readonly"]}).raise_for_status()
    c = emu.client(token)
    assert c.list_journals() == []
    with pytest.raises(PennylaneMappingError, match="Missing scope: journals:all") as info:
        c.create_journal("VT", "Ventes")
    assert info.value.status == 403


def test_get_missing_entry_is_not_found(emu):
    with pytest.raises(PennylaneNotFoundError, match="Couldn't find LedgerEntry with 'id'=999999"):
        emu.client(emu.company()).get_ledger_entry(999999)


# ------------------------------------------------------------------ faults
@pytest.mark.parametrize("status", [500, 503])
def test_reads_are_retried_on_5xx(emu, status):
    token = emu.company()
    c = emu.client(token)
    emu.fault(kind="status", status=status, count=2, method="GET", token=token)
    assert c.list_journals() == []
    assert c.requests_sent == 3


def test_reads_honour_retry_after_on_429(emu):
    token = emu.company()
    c = emu.client(token)
    emu.fault(kind="status", status=429, count=1, method="GET", token=token, retry_after=1)
    start = time.monotonic()
    assert c.list_journals() == []
    assert time.monotonic() - start >= 0.95
    assert c.requests_sent == 2


def test_reads_are_retried_after_a_timeout(emu):
    token = emu.company()
    c = emu.client(token, timeout=0.5)
    emu.fault(kind="timeout", seconds=1.0, count=1, method="GET", token=token)
    assert c.me()["company"]["name"] == "Acme SAS"
    assert c.requests_sent == 2


def test_reads_give_up_with_a_transient_error(emu):
    token = emu.company()
    c = emu.client(token)
    emu.fault(kind="status", status=503, count=10, method="GET", token=token)
    with pytest.raises(PennylaneTransientError) as info:
        c.me()
    assert info.value.status == 503 and info.value.error_class == "transient"


def test_post_is_not_retried_after_a_5xx(emu):
    token = emu.company()
    c = emu.client(token)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    emu.fault(kind="status", status=500, count=1, method="POST", path="/ledger_entries", token=token)
    sent = c.requests_sent
    with pytest.raises(PennylaneAmbiguousWriteError, match="may have been stored"):
        c.create_ledger_entry(_entry(jid, ids))
    assert c.requests_sent == sent + 1


def test_post_committed_then_dropped_is_ambiguous_and_stored(emu):
    token = emu.company()
    c = emu.client(token)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    emu.fault(kind="drop", count=1, method="POST", path="/ledger_entries", token=token)
    with pytest.raises(PennylaneAmbiguousWriteError):
        c.create_ledger_entry(_entry(jid, ids))
    entries = emu.summary()["companies"][0]["entries"]
    assert [(e["piece_number"], e["total"], e["balanced"]) for e in entries] == [("S1", "12.00", True)]


def test_post_timeout_after_commit_is_ambiguous(emu):
    token = emu.company()
    c = emu.client(token, timeout=0.5)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    emu.fault(kind="timeout", seconds=1.0, commit=True, count=1, method="POST", path="/ledger_entries", token=token)
    with pytest.raises(PennylaneAmbiguousWriteError, match="ReadTimeout"):
        c.create_ledger_entry(_entry(jid, ids))
    assert len(emu.summary()["companies"][0]["entries"]) == 1


def test_post_is_retried_after_429_which_is_never_processed(emu):
    token = emu.company()
    c = emu.client(token)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    emu.fault(kind="status", status=429, count=1, method="POST", path="/ledger_entries", token=token, retry_after=1)
    c.create_ledger_entry(_entry(jid, ids))
    assert len(emu.summary()["companies"][0]["entries"]) == 1


# --------------------------------------------------- pagination and filters
def test_pagination_resends_filter_and_sort_on_every_page(emu):
    token = emu.company()
    c = emu.client(token)
    for i in range(130):
        emu.seed("customer_invoices", token, date=f"2026-03-{1 + i % 28:02d}",
                 lines=[{"label": "Pain", "quantity": "2", "raw_currency_unit_price": "1.50", "vat_rate": "FR_55"}])
    seen: list[httpx.QueryParams] = []
    c.api.http.event_hooks["request"].append(lambda r: seen.append(r.url.params))
    got = list(c.list_customer_invoices([{"field": "date", "operator": "gteq", "value": "2026-03-02"}]))
    expected = sum(1 for i in range(130) if 1 + i % 28 >= 2)
    assert len(got) == expected == 125
    assert len(seen) == 2  # 100 + 25
    assert all(json.loads(p["filter"]) == [{"field": "date", "operator": "gteq", "value": "2026-03-02"}] for p in seen)
    assert "cursor" not in seen[0] and "cursor" in seen[1]
    assert got[0]["currency_amount"] == "3.17" and got[0]["currency_amount_before_tax"] == "3.00"


def test_credit_notes_are_invoices_with_negative_amounts(emu):
    token = emu.company()
    c = emu.client(token)
    inv = emu.seed("customer_invoices", token, date="2026-03-01",
                   lines=[{"label": "Vase", "quantity": "1", "raw_currency_unit_price": "50.00", "vat_rate": "FR_200"}])
    cn = emu.seed("customer_invoices", token, date="2026-03-02", credited_invoice_id=inv["id"],
                  lines=[{"label": "Vase", "quantity": "-1", "raw_currency_unit_price": "50.00", "vat_rate": "FR_200"}])
    notes = list(c.list_customer_invoices([{"field": "credit_note", "operator": "eq", "value": "true"}]))
    assert [(n["id"], n["currency_amount"], n["status"]) for n in notes] == [(cn["id"], "-60.00", "credit_note")]
    assert c.get_customer_invoice(cn["id"])["credited_invoice"]["id"] == inv["id"]
    assert [(ln["quantity"], ln["currency_amount"]) for ln in c.list_invoice_lines(cn["id"])] == [("-1", "-60.00")]


def test_commercial_documents_and_their_lines(emu):
    token = emu.company()
    c = emu.client(token)
    doc = emu.seed("commercial_documents", token, date="2026-03-01", document_type="shipping_order",
                   lines=[{"label": "Chaise", "quantity": "4", "raw_currency_unit_price": "25.00", "vat_rate": "FR_200"}])
    emu.seed("commercial_documents", token, date="2026-03-01", document_type="proforma", lines=[])
    got = list(c.list_commercial_documents([{"field": "document_type", "operator": "eq", "value": "shipping_order"}]))
    assert [(d["id"], d["document_type"], d["currency_amount"]) for d in got] == [(doc["id"], "shipping_order", "120.00")]
    assert c.get_commercial_document(doc["id"])["document_number"] == doc["document_number"]
    assert [ln["quantity"] for ln in c.list_commercial_document_lines(doc["id"])] == ["4"]


# ---------------------------------------------------- customers, products
def test_customers_company_and_individual_create_update_list(emu):
    c = emu.client(emu.company())
    address = {"address": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country_alpha2": "FR"}
    co = c.create_company_customer({"name": "Hôtel du Parc", "billing_address": address, "reg_no": "552100554",
                                    "external_reference": "shop-42"})
    ind = c.create_individual_customer({"first_name": "Léa", "last_name": "Durand", "billing_address": address,
                                        "emails": ["lea@example.com"]})
    c.update_company_customer(co["id"], {"name": "Hôtel du Parc SAS"})
    c.update_individual_customer(ind["id"], {"last_name": "Durand-Petit"})
    names = {cu["id"]: (cu["name"], cu["customer_type"]) for cu in c.list_customers()}
    assert names == {co["id"]: ("Hôtel du Parc SAS", "company"), ind["id"]: ("Léa Durand-Petit", "individual")}
    found = list(c.list_customers([{"field": "external_reference", "operator": "eq", "value": "shop-42"}]))
    assert [f["id"] for f in found] == [co["id"]]
    assert c.get_customer(ind["id"])["emails"] == ["lea@example.com"]


def test_products_create_update_and_changelog(emu):
    c = emu.client(emu.company())
    p = c.create_product({"label": "Baguette", "price_before_tax": "1.10", "vat_rate": "FR_55", "reference": "BAG"})
    assert p["price"] == "1.16"
    c.update_product(p["id"], {"price_before_tax": "1.20"})
    assert c.get_product(p["id"])["price"] == "1.27"
    assert [x["id"] for x in c.list_products([{"field": "reference", "operator": "eq", "value": "BAG"}])] == [p["id"]]
    items, cursor, has_more = c.changelog("products", start_date="2026-01-01T00:00:00Z" if False else None)
    assert [(i["id"], i["operation"]) for i in items] == [(p["id"], "insert"), (p["id"], "update")]
    assert has_more is False
    items2, cursor2, _ = c.changelog("products", cursor=cursor)
    assert items2 == [] and cursor2 == cursor


def test_product_with_unknown_vat_code_is_rejected(emu):
    c = emu.client(emu.company())
    with pytest.raises(PennylaneRequestError, match="FR_196_X"):
        c.create_product({"label": "X", "price_before_tax": "1.00", "vat_rate": "FR_196_X"})
    emu.app.spec_violations.clear()


# ------------------------------------------------- files and supplier invoices
def test_upload_and_import_supplier_invoice_deduplicated_by_file(emu):
    c = emu.client(emu.company())
    supplier = c.create_supplier({"name": "Moulins Dupont"})
    fa = c.upload_file_attachment("bon-reception-17.pdf", b"%PDF-1.4 receipt 17")
    assert fa["filename"] == "bon-reception-17.pdf"
    payload = {"file_attachment_id": fa["id"], "supplier_id": supplier["id"], "date": "2026-03-05",
               "deadline": "2026-04-04", "currency_amount_before_tax": "100.00", "currency_amount": "120.00",
               "currency_tax": "20.00", "invoice_number": "BR-17",
               "invoice_lines": [{"currency_amount": "120.00", "currency_tax": "20.00", "vat_rate": "FR_200"}]}
    si = c.import_supplier_invoice(payload)
    assert (si["currency_amount"], si["supplier"]["id"], si["invoice_number"]) == ("120.00", supplier["id"], "BR-17")
    with pytest.raises(PennylaneSetupRefusal) as info:
        c.import_supplier_invoice(payload)
    assert info.value.status == 409 and info.value.error_class == "mapping"  # the company holds the file
    assert [s["id"] for s in c.list_suppliers()] == [supplier["id"]]


# --------------------------------------------------------------- changelogs
def test_changelog_retention_and_start_date_with_cursor(emu):
    token = emu.company()
    c = emu.client(token)
    httpx.post(f"{emu.url}/_emulator/clock", json={"now": "2026-03-01T12:00:00Z"}).raise_for_status()
    inv = emu.seed("customer_invoices", token, date="2026-03-01",
                   lines=[{"label": "A", "quantity": "1", "raw_currency_unit_price": "10", "vat_rate": "FR_200"}])
    httpx.put(f"{emu.url}/_emulator/seed/customer_invoices/{inv['id']}", json={"token": token, "label": "edited"})
    httpx.request("DELETE", f"{emu.url}/_emulator/seed/customer_invoices/{inv['id']}", json={"token": token})
    items, _cursor, _ = c.changelog("customer_invoices", start_date="2026-02-20T00:00:00Z")
    assert [(i["id"], i["operation"]) for i in items] == [(inv["id"], "insert"), (inv["id"], "update"),
                                                          (inv["id"], "delete")]
    with pytest.raises(PennylaneDataError, match="retention") as info:
        c.changelog("customer_invoices", start_date="2026-01-15T00:00:00Z")
    assert info.value.status == 422 and info.value.error_class == "bug"  # we asked past the retention
    r = httpx.get(f"{emu.base_url}/changelogs/customer_invoices", headers={"Authorization": f"Bearer {token}"},
                  params={"start_date": "2026-02-20T00:00:00Z", "cursor": "cG9zOjA"})
    assert r.status_code == 400
    assert r.json() == {"error": "start_date and cursor cannot be used together", "status": 400}
    # 5 weeks later, the changes are past retention
    httpx.post(f"{emu.url}/_emulator/clock", json={"now": "2026-04-06T12:00:00Z"}).raise_for_status()
    assert c.changelog("customer_invoices")[0] == []


@pytest.mark.parametrize(("status", "text", "cls"), [
    (422, "Entry lines are not balanced", "bug"),
    (422, "A ledger entry can have at most 1000 lines (1001 given)", "bug"),
    (422, "Entries cannot be created in a closed fiscal year (2025)", "mapping"),
    (422, "The period is frozen by the accountant", "mapping"),
    (422, "Ledger account 707 is disabled", "mapping"),
    (409, "A document with ID 12 already exists with such attachment.", "mapping"),
])
def test_a_pennylane_refusal_is_our_bug_or_the_companys_setup_never_the_source(emu, status, text, cls):
    token = emu.company()
    c = emu.client(token)
    jid = c.journal_id("VT", "Ventes")
    ids = c.ledger_account_ids(["530", "707", "44571"], True)
    httpx.post(f"{emu.url}/_emulator/faults", json={"kind": "status", "status": status, "method": "POST",
                                                    "path": "/ledger_entries", "error": text}).raise_for_status()
    with pytest.raises(PennylaneDataError) as info:
        c.create_ledger_entry(_entry(jid, ids))
    err = info.value
    assert (err.status, err.error_class) == (status, cls)
    assert not isinstance(err, SourceDataError) and err.details["refused_by"] == "pennylane"
    assert text in str(err)
    assert emu.summary()["companies"][0]["entries"] == []
