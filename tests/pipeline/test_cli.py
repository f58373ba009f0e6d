"""The data team's CLI: every command through click's CliRunner (output lines and exit codes),
against the emulators; the installed console script itself in a subprocess; a backfill
launched through a real webserver's GraphQL API."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from emulators.generator import generate_day
from emulators.server import free_port
from pipelines.cli import cli
from resources.stock.store import StockStore
from tests.pipeline.test_sales_e2e import DAY, _day_with_unknown_rate

REPO = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("pennylane-sync")
STOCK = {"enabled": True, "locations": ["boutique", "reserve"], "default_location": "boutique"}


def run(*args: str) -> Result:
    """``pennylane-sync ARGS`` in this process. A command may end with an exit code, never with
    an unexpected exception (that would be a traceback for the user)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def set_stock(world, slug: str, **options) -> None:
    """Change stock options in a tenant's file (as the accountant would)."""
    path = world.registry_dir / f"{slug}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["stock"] = {**doc.get("stock", {}), **options}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- the console script, as a user runs it ----------------------------------------------------
def test_console_script_shows_its_commands_and_ends_an_error_with_one_line(registry_dir, write_tenant):
    helped = subprocess.run([str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0, helped.stderr
    commands = [line.split()[0] for line in lines(helped.stdout.split("Commands:")[1])]
    assert commands == ["backfill", "db", "export", "stock", "sync", "tenants", "toporder", "unmapped"]
    assert helped.stderr == ""  # no Dagster beta notices for the user

    write_tenant("good")
    write_tenant("broken", siret="12345678901234")
    bad = subprocess.run([str(CONSOLE_SCRIPT), "--dir", str(registry_dir), "tenants", "validate"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stdout == ""
    [line] = bad.stderr.splitlines()
    assert line.startswith("Error: tenant registry: broken.yaml: ") and "SIRET" in line
    assert "Traceback" not in bad.stderr


# --- help ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("group", "commands"), [
    ((), ["backfill", "db", "export", "stock", "sync", "tenants", "toporder", "unmapped"]),
    (("db",), ["upgrade"]),
    (("tenants",), ["list", "validate"]),
    (("toporder",), ["activate"]),
    (("stock",), ["disconnect", "import-now", "levels", "merge-flags", "receipts", "reconnect", "send-receipt"]),
])
def test_each_group_lists_its_commands_with_a_summary(group, commands):
    result = run(*group, "--help")
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == commands
    assert all(len(line.split()) > 2 for line in listed if line.strip())  # each has a summary


def test_options_are_documented_in_the_commands_help():
    sync_help = run("sync", "--help").stdout
    assert "--from YYYY-MM-DD" in sync_help and "[required]" in sync_help and "--to YYYY-MM-DD" in sync_help
    backfill_help = run("backfill", "--help").stdout
    assert "default: http://127.0.0.1:3000" in backfill_help and "DAGSTER_WEBSERVER_URL" in backfill_help
    receipts_help = run("stock", "receipts", "--help").stdout
    assert "--csv FILE" in receipts_help and "--send" in receipts_help


# --- tenants -------------------------------------------------------------------------------------
def test_tenants_list_and_validate(registry_dir, write_tenant):
    write_tenant("boulangerie", start_date="2026-10-01", siret="51234567900108")
    write_tenant("cafe", status="disconnected", frequency="monthly", siret="81234567600108")
    listed = run("--dir", str(registry_dir), "tenants", "list")
    assert listed.exit_code == 0
    assert [line.split() for line in lines(listed.stdout)] == [
        ["slug", "status", "source", "freq", "start", "SIRET", "name"],
        ["boulangerie", "active", "chift", "daily", "2026-10-01", "51234567900108", "Boulangerie", "SAS"],
        ["cafe", "disconnected", "chift", "monthly", "2026-11-01", "81234567600108", "Cafe", "SAS"],
    ]
    valid = run("--dir", str(registry_dir), "tenants", "validate")
    assert (valid.exit_code, valid.stdout) == (0, "2 tenant file(s) valid\n")


def test_tenants_validate_names_the_bad_file_in_one_line(registry_dir, write_tenant):
    write_tenant("good")
    write_tenant("broken", siret="12345678901234")
    result = run("--dir", str(registry_dir), "tenants", "validate")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: tenant registry: broken.yaml: ") and "SIRET" in line


def test_an_unknown_tenant_or_a_bad_date_is_one_line(registry_dir):
    unknown = run("--dir", str(registry_dir), "sync", "nobody", "--from", "2026-11-01")
    assert unknown.exit_code == 1
    assert unknown.stderr == f"Error: tenant registry: unknown tenant 'nobody' (no nobody.yaml in {registry_dir})\n"
    bad_date = run("--dir", str(registry_dir), "sync", "nobody", "--from", "2026-13-01")
    assert bad_date.exit_code == 2
    assert lines(bad_date.stderr)[-1] == "Error: Invalid value for '--from': '2026-13-01' is not a date (YYYY-MM-DD)"


# --- sync, unmapped, backfill --------------------------------------------------------------------
def test_sync_prints_a_line_per_day_and_exits_non_zero_when_a_day_failed(cli_env):
    world = cli_env
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-18")
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=18), seed=1))
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=19), seed=2))
    world.chift.add_day(consumer, _day_with_unknown_rate())  # the 20th: a 7 % line

    result = run("sync", "bistro", "--from", "2026-11-17", "--to", "2026-11-20")
    out = lines(result.stdout)
    assert result.exit_code == 1
    days = [line.split()[:3] for line in out if line.startswith("bistro ")]
    assert days == [["bistro", "2026-11-18", "posted"], ["bistro", "2026-11-19", "posted"],
                    ["bistro", "2026-11-20", "failed"]]
    failed = next(line for line in out if "2026-11-20" in line)
    assert "[source] tenant bistro, day 2026-11-20, record order T-1 line T-1-2, field vat_rate" in failed
    assert out[-1] == "3 period(s): 2 ok, 1 failed"
    assert [e["date"] for e in world.received(token)] == ["2026-11-18", "2026-11-19"]
    # The runs went to the instance in $DAGSTER_HOME, where the UI shows them.
    with dg.DagsterInstance.get() as home:
        [record] = home.get_run_records()
        assert record.dagster_run.tags["pennylane-sync/tenant"] == "bistro"

    before = world.received(token)
    assert run("sync", "bistro", "--from", "2026-10-01", "--to", "2026-10-31").stdout == (
        "no period of bistro between 2026-10-01 and 2026-10-31 (start date 2026-11-18)\n")
    assert world.received(token) == before


def test_unmapped_lists_methods_seen_without_an_exact_mapping(cli_env):
    world = cli_env
    consumer, _ = world.add_chift_tenant(
        "bistro", start_date="2026-11-01", accounting={"payment_methods": {"Carte bancaire": "511500"}})
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))
    assert world.run("bistro", "2026-11-20").success
    result = run("unmapped", "bistro")
    assert result.exit_code == 0
    out = result.stdout
    # The day (seed 7) was paid with 8 methods: one mapped by name, 4 recognised, 3 unknown.
    assert lines(out)[0] == "payment methods seen for bistro: 8; not mapped by exact name: 7"
    mapped = {line.split("→")[0].strip(): line.split("→")[1].split()[0] for line in lines(out) if "→" in line}
    assert mapped == {"'American Express'": "5115", "'Chèque'": "5112", "'Espèces'": "530",
                      "'Titre-restaurant'": "51121", "'Lydia'": "471", "'Paiement mixte'": "471",
                      "'Sumeria'": "471"}
    assert out.count("UNKNOWN: other payment methods account") == 3


@pytest.fixture
def webserver(tmp_path, registry_dir):
    home = tmp_path / "webhome"
    home.mkdir()
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "TENANTS_DIR": str(registry_dir)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(REPO / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("dagster-webserver did not start")
        yield url, home
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_backfill_is_launched_through_the_webservers_graphql_api(webserver, write_tenant, registry_dir):
    url, home = webserver
    write_tenant("acme", start_date="2026-11-10")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("tenant", ["acme"])
        result = run("--dir", str(registry_dir), "backfill", "acme", "--from", "2026-11-12", "--to", "2026-11-14",
                     "--url", url)
        assert result.exit_code == 0, result.output
        [backfill] = instance.get_backfills()
        assert result.stdout == (f"backfill {backfill.backfill_id} launched: acme, 3 period(s) 2026-11-12 → "
                                 f"2026-11-14 ({url}/runs/b/{backfill.backfill_id})\n")
        targets = {(p.asset_key.to_user_string(), p.partition_key)
                   for p in backfill.asset_backfill_data.target_subset.iterate_asset_partitions()}
        assert targets == {(a, f"2026-11-{d}|acme") for a in ("daily_sales", "journal_lines", "pennylane_entries")
                           for d in (12, 13, 14)}
        assert backfill.tags["pennylane-sync/tenant"] == "acme"


def test_backfill_without_a_webserver_is_a_transient_error_in_one_line(registry_dir, write_tenant):
    write_tenant("acme", start_date="2026-11-10")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run("--dir", str(registry_dir), "backfill", "acme", "--from", "2026-11-12", "--to", "2026-11-12",
                 "--url", url)
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: [transient] the Dagster webserver at {url} cannot be reached: ")


# --- toporder -------------------------------------------------------------------------------------
def test_toporder_activate_prints_the_identifier_once(cli_env, write_tenant, tmp_path, monkeypatch):
    monkeypatch.setenv("TOPORDER_INBOX_DIR", str(tmp_path / "inbox"))
    doc_source = {"type": "toporder", "base_url": None, "credentials": {}, "settings": {}}
    write_tenant("fournil", source=doc_source)
    first = run("toporder", "activate", "fournil")
    assert first.exit_code == 0
    identifier = first.stdout.strip()
    assert len(identifier) >= 24 and identifier.isalnum()
    [where] = first.stderr.splitlines()
    assert where.endswith(f"closure files go to {tmp_path / 'inbox' / identifier}")
    again = run("toporder", "activate", "fournil")  # re-activating gives the same one
    assert (again.exit_code, again.stdout.strip()) == (0, identifier)

    write_tenant("not-toporder")
    refused = run("toporder", "activate", "not-toporder")
    assert refused.exit_code == 2
    assert lines(refused.stderr)[-1] == ("Error: Invalid value for 'TENANT': tenant not-toporder is not a "
                                         "Toporder tenant (source: chift)")


# --- stock ----------------------------------------------------------------------------------------
def levels_of(sku: str) -> dict[str, list[str]]:
    """``stock levels boutique`` → {location: [on hand, reserved, available]} for one SKU."""
    result = run("stock", "levels", "boutique")
    assert result.exit_code == 0
    rows = [line.split() for line in lines(result.stdout) if sku in line.split()]
    return {r[r.index(sku) + 1]: r[r.index(sku) + 2:] for r in rows}


def test_stock_commands_import_now_receipts_and_levels(cli_env, tmp_path):
    world = cli_env
    _consumer, token = world.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    client = world.pl.client(token, tenant="boutique")
    client.create_product({"label": "Savon lavande", "price_before_tax": "4.00", "vat_rate": "FR_200",
                           "reference": "SAV-LAV"})

    imported = run("stock", "import-now", "boutique")
    assert imported.exit_code == 0
    [line] = lines(imported.stdout)
    assert line.startswith("boutique stock import ok (run ") and ", partition 20" in line

    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_id;date;supplier;sku;quantity;unit_cost;vat_rate;location\n"
                        "BR-1;2026-11-20;Savonnerie;SAV-LAV;12;1.50;20;boutique\n"
                        "BR-2;2026-11-20;Savonnerie;SAV-LAV;5;1.50;20;reserve\n", encoding="utf-8")
    recorded = run("stock", "receipts", "boutique", "--csv", str(receipts))
    assert (recorded.exit_code, recorded.stdout) == (0, "2 receipt(s) recorded: BR-1, BR-2\n")

    assert run("stock", "import-now", "boutique").exit_code == 0
    assert levels_of("SAV-LAV") == {"boutique": ["12", "0", "12"], "reserve": ["5", "0", "5"]}


def test_a_bad_receipt_file_is_a_source_error_in_one_line_and_records_nothing(cli_env, tmp_path):
    cli_env.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_id,date,supplier,sku,quantity,unit_cost\n"
                        "BR-1,2026-11-20,Savonnerie,SAV-LAV,douze,1.50\n", encoding="utf-8")
    result = run("stock", "receipts", "boutique", "--csv", str(receipts))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("Error: [source] tenant boutique, record receipt BR-1 line 1, field quantity: "
                             "'douze' is not a number\n")
    assert StockStore(cli_env.warehouse).receipts("boutique") == []


def test_stock_commands_refuse_a_tenant_without_stock(cli_env):
    cli_env.add_chift_tenant("bistro", start_date="2026-11-01")
    result = run("stock", "levels", "bistro")
    assert result.exit_code == 2
    assert lines(result.stderr)[-1] == ("Error: Invalid value for 'TENANT': stock is not enabled for bistro "
                                        "(stock.enabled in its tenant file)")


def test_send_receipt_creates_one_supplier_invoice_and_sending_again_changes_nothing(cli_env, tmp_path):
    world = cli_env
    _consumer, token = world.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    client = world.pl.client(token, tenant="boutique")
    supplier = client.create_supplier({"name": "Savonnerie de Provence"})
    set_stock(world, "boutique", send_receipts_as_supplier_invoices=True, receipts_supplier_id=supplier["id"])
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_id,date,supplier,sku,quantity,unit_cost,vat_rate\n"
                        "BR-7,2026-11-20,Savonnerie,SAV-LAV,12,2.50,20\n"
                        "BR-7,2026-11-20,Savonnerie,MIEL,3,1.99,5.5\n", encoding="utf-8")
    assert run("stock", "receipts", "boutique", "--csv", str(receipts)).exit_code == 0
    assert list(client.list_supplier_invoices()) == []  # recorded, not sent yet

    sent = run("stock", "send-receipt", "boutique", "BR-7")
    assert sent.exit_code == 0
    [invoice] = client.list_supplier_invoices()
    assert sent.stdout == f"receipt BR-7 → Pennylane supplier invoice {invoice['id']}\n"
    # 12 × 2.50 = 30.00 (+6.00 VAT at 20 %); 3 × 1.99 = 5.97 (+0.33 VAT at 5.5 %).
    assert (invoice["currency_amount_before_tax"], invoice["currency_tax"], invoice["currency_amount"]) == (
        "35.97", "6.33", "42.30")
    assert (invoice["invoice_number"], invoice["filename"]) == ("BR-7", "reception-BR-7.pdf")

    again = run("stock", "send-receipt", "boutique", "BR-7")
    assert (again.exit_code, again.stdout) == (0, f"receipt BR-7 → Pennylane supplier invoice {invoice['id']}\n")
    assert len(list(client.list_supplier_invoices())) == 1

    unknown = run("stock", "send-receipt", "boutique", "BR-404")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "Error: [source] tenant boutique, record receipt BR-404: unknown goods receipt\n")


def test_receipts_with_send_records_and_sends_in_one_command(cli_env, tmp_path):
    world = cli_env
    _consumer, token = world.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    client = world.pl.client(token, tenant="boutique")
    supplier = client.create_supplier({"name": "Verrerie"})
    set_stock(world, "boutique", send_receipts_as_supplier_invoices=True, receipts_supplier_id=supplier["id"])
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_id,date,supplier,sku,quantity,unit_cost\n"
                        "BR-1,2026-11-20,Verrerie,POT-1,100,0.35\n"
                        "BR-2,2026-11-21,Verrerie,POT-1,10,0.35\n", encoding="utf-8")
    result = run("stock", "receipts", "boutique", "--csv", str(receipts), "--send")
    assert result.exit_code == 0
    invoices = {i["invoice_number"]: i for i in client.list_supplier_invoices()}
    assert lines(result.stdout) == [
        "2 receipt(s) recorded: BR-1, BR-2",
        f"receipt BR-1 → Pennylane supplier invoice {invoices['BR-1']['id']}",
        f"receipt BR-2 → Pennylane supplier invoice {invoices['BR-2']['id']}",
    ]
    # 100 × 0.35 = 35.00 + 7.00 VAT; 10 × 0.35 = 3.50 + 0.70 VAT (20 % by default)
    assert [(n, i["currency_amount"]) for n, i in sorted(invoices.items())] == [("BR-1", "42.00"), ("BR-2", "4.20")]


def test_disconnect_stops_the_sync_and_reconnect_resumes_it(cli_env):
    world = cli_env
    _consumer, token = world.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    client = world.pl.client(token, tenant="boutique")
    assert run("stock", "import-now", "boutique").exit_code == 0

    off = run("stock", "disconnect", "boutique")
    assert (off.exit_code, off.stdout) == (0, "boutique: stock sync disconnected\n")
    assert StockStore(world.warehouse).is_connected("boutique") is False
    client.create_product({"label": "Bougie figue", "price_before_tax": "12.00", "vat_rate": "FR_200",
                           "reference": "BOUG-FIG"})
    assert run("stock", "import-now", "boutique").exit_code == 0
    assert levels_of("BOUG-FIG") == {}  # not imported while disconnected

    on = run("stock", "reconnect", "boutique")
    assert (on.exit_code, on.stdout) == (0, "boutique: stock sync reconnected\n")
    assert run("stock", "import-now", "boutique").exit_code == 0
    assert levels_of("BOUG-FIG") == {"boutique": ["0", "0", "0"], "reserve": ["0", "0", "0"]}


def test_merge_flags_lists_a_product_whose_pennylane_id_changed(cli_env):
    world = cli_env
    _consumer, token = world.add_chift_tenant("boutique", start_date="2026-11-01", stock=STOCK)
    client = world.pl.client(token, tenant="boutique")
    client.create_product({"label": "Savon lavande", "price_before_tax": "4.00", "vat_rate": "FR_200",
                           "reference": "SAV-LAV"})
    assert run("stock", "import-now", "boutique").exit_code == 0
    none = run("stock", "merge-flags", "boutique")
    assert (none.exit_code, none.stdout) == (0, "0 product(s) flagged for merge\n")

    again = client.create_product({"label": "Savon lavande", "price_before_tax": "4.00", "vat_rate": "FR_200",
                                   "reference": "SAV-LAV"})  # the same product under a new Pennylane id
    assert run("stock", "import-now", "boutique").exit_code == 0
    products = {p["pennylane_id"]: p for p in StockStore(world.warehouse).products("boutique")}
    duplicate = products[again["id"]]
    original = next(p for p in products.values() if p["id"] != duplicate["id"])
    flagged = run("stock", "merge-flags", "boutique")
    assert flagged.exit_code == 0
    assert lines(flagged.stdout) == [
        f"product {duplicate['id']} 'Savon lavande' (SKU SAV-LAV, Pennylane {again['id']}) "
        f"→ probably product {original['id']}",
        "1 product(s) flagged for merge",
    ]
