"""The data team's CLI: sync over a date range in-process, tenants, unmapped methods, and a
backfill launched through a real webserver's GraphQL API."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from emulators.generator import generate_day
from emulators.server import free_port
from pipelines.cli import main
from tests.pipeline.test_sales_e2e import DAY, _day_with_unknown_rate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(world, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WAREHOUSE_URL", world.warehouse.url)
    monkeypatch.setenv("TENANTS_DIR", str(world.registry_dir))
    return world


def test_sync_prints_a_line_per_day_and_exits_non_zero_when_a_day_failed(cli_env, capsys):
    world = cli_env
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-18")
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=18), seed=1))
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=19), seed=2))
    world.chift.add_day(consumer, _day_with_unknown_rate())  # the 20th: a 7 % line

    code = main(["sync", "bistro", "--from", "2026-11-17", "--to", "2026-11-20"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    days = [line.split()[:3] for line in out if line.startswith("bistro ")]
    assert days == [["bistro", "2026-11-18", "posted"], ["bistro", "2026-11-19", "posted"],
                    ["bistro", "2026-11-20", "failed"]]
    failed = next(line for line in out if "2026-11-20" in line)
    assert "[source] tenant bistro, day 2026-11-20, record order T-1 line T-1-2, field vat_rate" in failed
    assert out[-1] == "3 period(s): 2 ok, 1 failed"
    assert [e["date"] for e in world.received(token)] == ["2026-11-18", "2026-11-19"]


def test_tenants_validate_names_the_bad_file(registry_dir, write_tenant, capsys):
    write_tenant("good")
    write_tenant("broken", siret="12345678901234")
    assert main(["--dir", str(registry_dir), "tenants", "validate"]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml" in err and "SIRET" in err


def test_unmapped_lists_methods_seen_without_an_exact_mapping(cli_env, capsys):
    world = cli_env
    consumer, _ = world.add_chift_tenant(
        "bistro", start_date="2026-11-01", accounting={"payment_methods": {"Carte bancaire": "511500"}})
    world.chift.add_day(consumer, generate_day("restaurant", DAY, seed=7))
    assert world.run("bistro", "2026-11-20").success
    assert main(["unmapped", "bistro"]) == 0
    out = capsys.readouterr().out
    # The day (seed 7) was paid with 8 methods: one mapped by name, 4 recognised, 3 unknown.
    assert "payment methods seen for bistro: 8; not mapped by exact name: 7" in out
    lines = {line.split("→")[0].strip(): line.split("→")[1].split()[0] for line in out.splitlines() if "→" in line}
    assert lines == {"'American Express'": "5115", "'Chèque'": "5112", "'Espèces'": "530",
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


def test_backfill_is_launched_through_the_webservers_graphql_api(webserver, write_tenant, registry_dir, capsys):
    import dagster as dg

    url, home = webserver
    write_tenant("acme", start_date="2026-11-10")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("tenant", ["acme"])
        code = main(["--dir", str(registry_dir), "backfill", "acme", "--from", "2026-11-12", "--to", "2026-11-14",
                     "--url", url])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "3 period(s) 2026-11-12 → 2026-11-14" in out
        [backfill] = instance.get_backfills()
        targets = {(p.asset_key.to_user_string(), p.partition_key)
                   for p in backfill.asset_backfill_data.target_subset.iterate_asset_partitions()}
        assert targets == {(a, f"2026-11-{d}|acme") for a in ("daily_sales", "journal_lines", "pennylane_entries")
                           for d in (12, 13, 14)}
        assert backfill.tags["pennylane-sync/tenant"] == "acme"


def test_toporder_activate_prints_the_identifier_once(cli_env, write_tenant, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TOPORDER_INBOX_DIR", str(tmp_path / "inbox"))
    doc_source = {"type": "toporder", "base_url": None, "credentials": {}, "settings": {}}
    write_tenant("fournil", source=doc_source)
    assert main(["toporder", "activate", "fournil"]) == 0
    first = capsys.readouterr()
    identifier = first.out.strip()
    assert len(identifier) >= 24 and identifier.isalnum()
    assert str(tmp_path / "inbox" / identifier) in first.err
    assert main(["toporder", "activate", "fournil"]) == 0  # re-activating gives the same one
    assert capsys.readouterr().out.strip() == identifier
    write_tenant("not-toporder")
    assert main(["toporder", "activate", "not-toporder"]) == 2


def test_stock_commands_import_now_receipts_and_levels(cli_env, capsys, tmp_path):
    world = cli_env
    _consumer, token = world.add_chift_tenant(
        "boutique", start_date="2026-11-01",
        stock={"enabled": True, "locations": ["boutique", "reserve"], "default_location": "boutique"})
    client = world.pl.client(token, tenant="boutique")
    client.create_product({"label": "Savon lavande", "price_before_tax": "4.00", "vat_rate": "FR_200",
                           "reference": "SAV-LAV"})

    assert main(["stock", "import-now", "boutique"]) == 0
    assert "boutique stock import ok" in capsys.readouterr().out

    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_id;date;supplier;sku;quantity;unit_cost;vat_rate;location\n"
                        "BR-1;2026-11-20;Savonnerie;SAV-LAV;12;1.50;20;boutique\n"
                        "BR-2;2026-11-20;Savonnerie;SAV-LAV;5;1.50;20;reserve\n", encoding="utf-8")
    assert main(["stock", "receipts", "boutique", "--csv", str(receipts)]) == 0
    assert "2 receipt(s) recorded: BR-1, BR-2" in capsys.readouterr().out

    assert main(["stock", "import-now", "boutique"]) == 0
    capsys.readouterr()
    assert main(["stock", "levels", "boutique"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if "SAV-LAV" in line]
    by_location = {r[r.index("SAV-LAV") + 1]: r[r.index("SAV-LAV") + 2:] for r in rows}
    assert by_location == {"boutique": ["12", "0", "12"], "reserve": ["5", "0", "5"]}
