"""The Toporder inbox: activation, the sensor's scan, rejections with their report and callback,
and the source reading a tenant-day (including re-runs)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.errors import MappingError, SourceDataError
from core.periods import SalesPeriod
from emulators.server import free_port, serve
from emulators.toporder_files import closure_from_sales, write_closure_file
from resources.sources.toporder.activation import activate, activation_for, inbox_root
from resources.sources.toporder.format import BEFORE_ACTIVATION_NOTICE
from resources.sources.toporder.inbox import InboxFile, InboxNotice
from resources.sources.toporder.reports import report_source_error
from resources.sources.toporder.scan import scan_inbox
from resources.sources.toporder.source import ToporderSource
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

DOC = Path(__file__).resolve().parents[2] / "docs" / "toporder-format.md"
DAY = date(2026, 3, 14)


def documented_example(identifier: str) -> dict:
    section = DOC.read_text(encoding="utf-8").split("## Complete example", 1)[1]
    doc = json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1), parse_float=Decimal)
    doc["identifier"] = identifier
    return json.loads(json.dumps(doc, default=str))


def make_tenant(slug: str = "petit-zinc", credentials: dict | None = None, **settings) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": slug, "name": "Le Petit Zinc", "siret": "73282932000074", "start_date": "2026-03-10",
        "source": {"type": "toporder", "settings": settings, "credentials": credentials or {}},
        "pennylane": {"token_env": "PENNYLANE_TOKEN_ZINC"},
    })


@pytest.fixture
def inbox(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "inbox"
    monkeypatch.setenv("TOPORDER_INBOX_DIR", str(root))
    return root


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    return Warehouse(url=f"sqlite:///{tmp_path}/wh.db")


class Receiver:
    """A local webhook receiver standing in for Toporder's callback endpoint."""

    def __init__(self, fail_first: int = 0):
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.fail_first = fail_first
        self.app = Starlette(routes=[Route("/toporder/reports", self.handle, methods=["POST"])])

    async def handle(self, request: Request):
        if self.fail_first > 0:
            self.fail_first -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        self.received.append(json.loads(await request.body()))
        self.headers.append(dict(request.headers))
        return JSONResponse({"ok": True})


# --------------------------------------------------------------------------- activation


def test_activation_gives_a_random_slug_safe_identifier_and_is_idempotent(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    assert re.fullmatch(r"[a-z2-7]{32}", act.identifier)
    assert act.activated_on == date(2026, 3, 10)
    assert act.inbox_path == inbox / act.identifier == inbox_root() / act.identifier
    assert (act.inbox_path / "processed").is_dir() and (act.inbox_path / "rejected").is_dir()

    again = activate(wh, zinc, activated_on=date(2026, 4, 1))
    assert again == act  # the existing activation, date unchanged
    assert activation_for(wh, "petit-zinc") == act
    assert activation_for(wh, "unknown") is None

    other = activate(wh, make_tenant("bistrot"), activated_on=date(2026, 3, 10))
    assert other.identifier != act.identifier

    pinned = activate(wh, make_tenant("moved-tenant", identifier="pinned-identifier-0001",
                                      activated_on="2025-12-01"))
    assert (pinned.identifier, pinned.activated_on) == ("pinned-identifier-0001", date(2025, 12, 1))


def test_activating_a_non_toporder_tenant_is_a_mapping_error(wh, inbox):
    shop = make_tenant().model_copy(update={"source": make_tenant().source.model_copy(update={"type": "shopify"})})
    with pytest.raises(MappingError, match="source type is 'shopify', not 'toporder'"):
        activate(wh, shop)


# --------------------------------------------------------------------------- scan_inbox


def test_scan_accepts_new_files_only_and_records_payment_methods(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    path = write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z412.json")
    (act.inbox_path / ".z413.json.tmp").write_text("{half a fi")  # an upload in progress: never read

    found = scan_inbox(wh, {"petit-zinc": zinc})
    processed = act.inbox_path / "processed" / "2026-03-14" / "z412.json"
    assert found == [InboxFile("petit-zinc", DAY, processed, act.identifier, "Z-2026-03-14-01")]
    assert processed.exists() and not path.exists()
    assert [(m["method"], m["first_seen"]) for m in wh.seen_payment_methods("petit-zinc")] == [
        ("Carte Bancaire", "2026-03-14"), ("Espèces", "2026-03-14"), ("Ticket Restaurant", "2026-03-14")]

    assert scan_inbox(wh, {"petit-zinc": zinc}) == []  # nothing new

    doc = documented_example(act.identifier)
    doc["business_date"] = "2026-03-15"
    doc["closure_id"] = "Z-2026-03-15-01"
    write_closure_file(inbox, act.identifier, doc, name="z413.json")
    found = scan_inbox(wh, {"petit-zinc": zinc})
    assert [(f.tenant, f.day, f.path.name) for f in found] == [("petit-zinc", date(2026, 3, 15), "z413.json")]

    # The same file delivered twice is not new.
    write_closure_file(inbox, act.identifier, doc, name="z413.json")
    notices: list[InboxNotice] = []
    assert scan_inbox(wh, {"petit-zinc": zinc}, notices=notices) == []
    assert [n.kind for n in notices] == ["duplicate"]


def test_files_for_an_unknown_identifier_are_left_and_reported(wh, inbox):
    zinc = make_tenant()
    activate(wh, zinc, activated_on=date(2026, 3, 10))
    stray = write_closure_file(inbox, "nobody-has-this-identifier", documented_example("x"), name="z.json")
    notices: list[InboxNotice] = []
    assert scan_inbox(wh, {"petit-zinc": zinc}, notices=notices) == []
    assert stray.exists()
    assert notices == [InboxNotice(
        "unknown_identifier", "nobody-has-this-identifier", stray.parent,
        f"1 file(s) left in {stray.parent}: no activation has this identifier", None)]


def test_a_file_dated_before_activation_is_refused_with_a_notice(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 20))
    write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z412.json")
    assert scan_inbox(wh, {"petit-zinc": zinc}) == []
    rejected = act.inbox_path / "rejected" / "z412.json"
    assert rejected.exists()
    report = json.loads((act.inbox_path / "rejected" / "z412.json.report.json").read_text())
    assert report["kind"] == "notice"
    assert report["code"] == "before_activation"
    assert (report["tenant"], report["day"], report["file"]) == ("petit-zinc", "2026-03-14", "z412.json")
    assert report["message"] == (
        "[source] tenant petit-zinc, day 2026-03-14, field business_date: z412.json: closure of "
        "2026-03-14 is dated before the Toporder activation on 2026-03-20: sales before the "
        "activation date cannot be received")
    assert report["action"] == f"Nothing to fix: {BEFORE_ACTIVATION_NOTICE}."


def test_a_malformed_file_is_rejected_with_a_report_naming_the_field(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    doc = documented_example(act.identifier)
    doc["tickets"][1]["lines"][0]["vat_rate"] = "cinq"
    write_closure_file(inbox, act.identifier, doc, name="z412.json")
    notices: list[InboxNotice] = []
    assert scan_inbox(wh, {"petit-zinc": zinc}, notices=notices) == []
    report = json.loads((act.inbox_path / "rejected" / "z412.json.report.json").read_text())
    assert report["code"] == "invalid_file"
    assert report["error_class"] == "source"
    assert report["record"] == "ticket T-1002"
    assert report["fields"] == ["tickets[1].lines[0].vat_rate"]
    assert report["issues"] == [{
        "code": "invalid_file", "record": "ticket T-1002", "field": "tickets[1].lines[0].vat_rate",
        "message": "ticket T-1002, field tickets[1].lines[0].vat_rate: not a VAT rate: 'cinq'"}]
    assert "callback" not in report  # no callback URL configured
    assert [n.kind for n in notices] == ["rejected"]
    assert not list((act.inbox_path / "processed").rglob("*.json"))

    # Not JSON at all.
    (act.inbox_path / "broken.json").write_text("{\"schema_version\": 1,")
    assert scan_inbox(wh, {"petit-zinc": zinc}) == []
    report = json.loads((act.inbox_path / "rejected" / "broken.json.report.json").read_text())
    assert report["code"] == "invalid_json"
    assert report["day"] is None


def test_debit_not_equal_credit_is_rejected_reported_and_called_back(wh, inbox, monkeypatch):
    receiver = Receiver(fail_first=1)  # the first delivery gets a 503 and is retried
    monkeypatch.setenv("TOPORDER_CALLBACK_TOKEN", "s3cret")
    with serve(receiver.app) as srv:
        zinc = make_tenant(callback_url=f"{srv.url}/toporder/reports",
                           credentials={"callback_token": "TOPORDER_CALLBACK_TOKEN"})
        act = activate(wh, zinc, activated_on=date(2026, 3, 10))
        doc = documented_example(act.identifier)
        doc["tickets"][1]["payments"][0]["amount"] = "9.00"  # 1 € taken that no sale explains
        write_closure_file(inbox, act.identifier, doc, name="z412.json")
        assert scan_inbox(wh, {"petit-zinc": zinc}) == []

    report_file = json.loads((act.inbox_path / "rejected" / "z412.json.report.json").read_text())
    assert report_file["callback"] == {"url": f"{srv.url}/toporder/reports", "delivered": True,
                                       "status_code": 200}
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent == {k: v for k, v in report_file.items() if k != "callback"}
    assert receiver.headers[0]["authorization"] == "Bearer s3cret"
    assert sent["code"] == "debit_not_equal_credit"
    assert (sent["tenant"], sent["day"], sent["identifier"]) == ("petit-zinc", "2026-03-14", act.identifier)
    assert sent["record"] == "ticket T-1002"
    assert sent["fields"] == ["payments_by_method[1]", "tickets[1].payments", "totals.payments"]
    assert sent["issues"][0]["message"] == (
        "ticket T-1002: debit ≠ credit: payments 9.00 € but sales 8.00 € + tips 0.00 € = 8.00 €")
    assert sent["action"] == "The till must correct this closure and send the file again."


def test_a_failed_callback_never_loses_the_report(wh, inbox):
    zinc = make_tenant(callback_url=f"http://127.0.0.1:{free_port()}/down")
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    doc = documented_example(act.identifier)
    doc["totals"]["gross"] = "57.00"
    write_closure_file(inbox, act.identifier, doc, name="z412.json")
    assert scan_inbox(wh, {"petit-zinc": zinc}) == []
    report = json.loads((act.inbox_path / "rejected" / "z412.json.report.json").read_text())
    assert report["code"] == "totals_mismatch"
    assert report["callback"]["delivered"] is False
    assert "ConnectError" in report["callback"]["error"]


# --------------------------------------------------------------------------- the source


def test_fetch_waits_for_the_file_then_reads_it_and_a_rerun_reads_it_again(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    source = ToporderSource(zinc, warehouse=wh)
    period = SalesPeriod(zinc, DAY, date(2026, 3, 15))

    waiting = source.fetch(period)
    assert (waiting.complete, waiting.waiting_reason) == (False, "no closure file received yet")

    write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z412.json")
    scan_inbox(wh, {"petit-zinc": zinc})
    first = source.fetch(period)
    assert first.complete
    assert (len(first.sales_lines), int(first.sales_lines.gross_cents.sum())) == (8, 5770)
    assert int(first.payments.amount_cents.sum()) == 5970
    assert first.origin == str(act.inbox_path / "processed" / "2026-03-14" / "z412.json")

    rerun = source.fetch(period)  # the file is in processed/ now: a re-run reads the same data
    assert rerun.sales_lines.equals(first.sales_lines) and rerun.payments.equals(first.payments)
    assert rerun.closure_totals.equals(first.closure_totals)


def test_fetch_takes_a_file_the_sensor_has_not_seen_yet(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    pending = write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z.json")
    day = ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    assert day.complete and len(day.payments) == 5
    assert not pending.exists()
    assert (act.inbox_path / "processed" / "2026-03-14" / "z.json").exists()
    assert [m["method"] for m in wh.seen_payment_methods("petit-zinc")] == [
        "Carte Bancaire", "Espèces", "Ticket Restaurant"]


def test_a_resent_closure_replaces_the_earlier_one_and_other_closures_add_up(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    base = {"business_date": DAY, "location": "paris-11", "tickets": [{
        "id": "T-1", "closed_at": "2026-03-14T12:00:00+01:00",
        "lines": [{"label": "Café", "quantity": 2, "unit_gross_cents": 220, "vat_rate": "10"}],
        "payments": [{"method": "Espèces", "amount_cents": 440}]}]}
    write_closure_file(inbox, act.identifier, {**base, "closure_id": "Z-1",
                                               "generated_at": "2026-03-14T23:00:00+01:00"}, name="a.json")
    corrected = {**base, "closure_id": "Z-1", "generated_at": "2026-03-15T08:00:00+01:00"}
    corrected["tickets"] = [{**base["tickets"][0], "payments": [{"method": "CB", "amount_cents": 440}]}]
    write_closure_file(inbox, act.identifier, corrected, name="a-corrected.json")
    second_register = {**base, "closure_id": "Z-2", "generated_at": "2026-03-14T23:00:00+01:00"}
    second_register["tickets"] = [{**base["tickets"][0], "id": "T-2"}]
    write_closure_file(inbox, act.identifier, second_register, name="b.json")
    scan_inbox(wh, {"petit-zinc": zinc})

    day = ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    assert day.payments[["order_id", "method", "amount_cents"]].values.tolist() == [
        ["T-1", "CB", 440], ["T-2", "Espèces", 440]]


def test_report_source_error_moves_the_day_to_rejected_and_calls_back(wh, inbox):
    receiver = Receiver()
    with serve(receiver.app) as srv:
        zinc = make_tenant(callback_url=f"{srv.url}/toporder/reports")
        act = activate(wh, zinc, activated_on=date(2026, 3, 10))
        write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z412.json")
        scan_inbox(wh, {"petit-zinc": zinc})
        error = SourceDataError("debit ≠ credit: residual 0.42 € beyond the tolerance of 0.08 €",
                                details={"code": "debit_not_equal_credit"})
        reports = report_source_error(wh, zinc, "2026-03-14", error)

    assert reports == [act.inbox_path / "rejected" / "z412.json.report.json"]
    assert (act.inbox_path / "rejected" / "z412.json").exists()
    sent = receiver.received[0]
    assert (sent["code"], sent["tenant"], sent["day"], sent["file"]) == (
        "debit_not_equal_credit", "petit-zinc", "2026-03-14", "z412.json")
    assert sent["message"] == ("[source] tenant petit-zinc, day 2026-03-14: debit ≠ credit: residual "
                               "0.42 € beyond the tolerance of 0.08 €")
    # The day waits for a corrected file again.
    day = ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    assert (day.complete, day.waiting_reason) == (False, "no closure file received yet")


def test_fetch_of_a_bad_pending_file_rejects_it_and_raises(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    doc = documented_example(act.identifier)
    doc["vat_totals"][0]["rate"] = "19.6"
    doc["vat_totals"][0]["net"], doc["vat_totals"][0]["vat"] = "5.02", "0.98"
    write_closure_file(inbox, act.identifier, doc, name="z412.json")
    with pytest.raises(SourceDataError) as exc:
        ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    assert exc.value.details["code"] == "unknown_vat_rate"
    assert exc.value.field_name == "vat_totals[0].rate"
    assert (act.inbox_path / "rejected" / "z412.json.report.json").exists()


def test_days_before_activation_or_without_activation_are_mapping_errors(wh, inbox):
    zinc = make_tenant()
    with pytest.raises(MappingError, match="Toporder is not activated for this tenant"):
        ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    activate(wh, zinc, activated_on=date(2026, 3, 20))
    with pytest.raises(MappingError, match="sales before the activation date cannot be received"):
        ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))


def test_closure_from_sales_writes_a_consistent_file_for_the_generator_free_path(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    doc = closure_from_sales(identifier=act.identifier, business_date=DAY, tickets=[{
        "id": "T-9", "closed_at": "2026-03-14T09:00:00+01:00",
        "lines": [{"label": "Pain de campagne", "quantity": "0.455", "unit_gross_cents": 690, "vat_rate": "5.5"}],
        "payments": [{"method": "Espèces", "amount_cents": 314}]}])
    assert doc["tickets"][0]["lines"][0]["total_ttc"] == "3.14"
    assert doc["vat_totals"] == [{"rate": "5.5", "net": "2.98", "vat": "0.16", "gross": "3.14"}]
    write_closure_file(inbox, act.identifier, doc)
    assert [f.path.name for f in scan_inbox(wh, {"petit-zinc": zinc})] == ["closure-2026-03-14-Z-main-20260314.json"]


def test_a_generated_day_goes_through_the_inbox_to_its_ground_truth(wh, inbox):
    from emulators.generator import expected_frames, frame_differences, generate_day

    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    simday = generate_day("restaurant", DAY, seed=7, locations=2)
    with pytest.raises(ValueError, match="the day has 2 locations"):
        write_closure_file(inbox, act.identifier, simday)
    for loc in ("loc-1", "loc-2"):  # one closure per establishment
        write_closure_file(inbox, act.identifier, simday, location=loc)
    assert len(scan_inbox(wh, {"petit-zinc": zinc})) == 2
    day = ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    assert frame_differences(day, expected_frames(simday, with_closures=True), closures=True) == []
    assert [m["method"] for m in wh.seen_payment_methods("petit-zinc")] == simday.payment_methods


def test_a_file_with_another_tenants_identifier_is_rejected(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    write_closure_file(inbox, act.identifier, documented_example("someone-elses-identifier"), name="z.json")
    assert scan_inbox(wh, {"petit-zinc": zinc}) == []
    report = json.loads((act.inbox_path / "rejected" / "z.json.report.json").read_text())
    assert (report["code"], report["fields"]) == ("identifier_mismatch", ["identifier"])


def test_files_of_a_disconnected_tenant_are_left_in_place(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    path = write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z.json")
    notices: list[InboxNotice] = []
    gone = zinc.model_copy(update={"status": "disconnected"})
    assert scan_inbox(wh, {"petit-zinc": gone}, notices=notices) == []
    assert path.exists()
    assert notices[0].message == (
        f"1 file(s) left in {act.inbox_path}: tenant petit-zinc is not an active Toporder tenant")


def test_a_mapping_error_is_not_reported_to_the_till(wh, inbox):
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    write_closure_file(inbox, act.identifier, documented_example(act.identifier), name="z.json")
    scan_inbox(wh, {"petit-zinc": zinc})
    assert report_source_error(wh, zinc, DAY, MappingError("category 'Vins' is not mapped")) == []
    assert (act.inbox_path / "processed" / "2026-03-14" / "z.json").exists()


def test_an_error_fetch_already_reported_is_not_reported_again(wh, inbox):
    """The pipeline calls report_source_error on every Toporder source error; the day's other
    (good) closure must not be rejected because of the bad one fetch already sent back."""
    zinc = make_tenant()
    act = activate(wh, zinc, activated_on=date(2026, 3, 10))
    good = documented_example(act.identifier)
    write_closure_file(inbox, act.identifier, good, name="register-1.json")
    scan_inbox(wh, {"petit-zinc": zinc})
    bad = documented_example(act.identifier)
    bad["closure_id"] = "Z-2026-03-14-02"
    bad["totals"]["tips"] = "0.00"
    write_closure_file(inbox, act.identifier, bad, name="register-2.json")
    with pytest.raises(SourceDataError) as exc:
        ToporderSource(zinc, warehouse=wh).fetch(SalesPeriod(zinc, DAY, date(2026, 3, 15)))
    report = act.inbox_path / "rejected" / "register-2.json.report.json"
    assert report_source_error(wh, zinc, DAY, exc.value) == [report]
    assert (act.inbox_path / "processed" / "2026-03-14" / "register-1.json").exists()
