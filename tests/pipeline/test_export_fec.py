"""`pennylane-sync export fec`: posted days of a tenant, read back from Pennylane, in a file an
auditor's tool accepts (18 columns, balanced pieces, AAAAMMJJ dates, ISO 8859-15)."""

import re
from datetime import date
from decimal import Decimal

from emulators.generator import generate_day
from resources.pennylane import PennylaneResource
from resources.tenants import get_tenant
from tests.pipeline.test_cli import lines, run
from tests.pipeline.test_sales_e2e import DAY


def read_fec(path):
    text = path.read_bytes().decode("iso-8859-15")
    rows = [line.split("|") for line in text.split("\r\n")]
    return rows[0], rows[1:]


def test_export_fec_holds_exactly_the_posted_entries_balanced_and_well_formed(cli_env, tmp_path):
    world = cli_env
    consumer, token = world.add_chift_tenant("bistro", start_date="2026-11-18")
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=18), seed=1))
    world.chift.add_day(consumer, generate_day("restaurant", DAY.replace(day=19), seed=2))
    assert run("sync", "bistro", "--from", "2026-11-18", "--to", "2026-11-19").exit_code == 0
    # an entry keyed in by hand in the same journal is not ours: it stays out of our export
    tenant = get_tenant("bistro", world.registry_dir)
    client = PennylaneResource().client_for(tenant)
    journal = client.journal_id("VT", "Ventes", create=False)
    ids = client.ledger_account_ids(["530000", "758000"], create_missing=True)
    client.create_ledger_entry({"date": "2026-11-19", "label": "Saisie manuelle", "journal_id": journal,
                                "ledger_entry_lines": [
                                    {"debit": "5.00", "credit": "0.00", "ledger_account_id": ids["530000"],
                                     "label": "manuel"},
                                    {"debit": "0.00", "credit": "5.00", "ledger_account_id": ids["758000"],
                                     "label": "manuel"}]})

    result = run("export", "fec", "--tenant", "bistro", "--year", "2026", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    path = tmp_path / f"{tenant.siren}FEC20261231.txt"
    assert lines(result.stdout)[0].startswith(f"{path}: 2 entries, ")

    header, rows = read_fec(path)
    assert header == ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
                      "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
                      "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"]
    assert all(len(r) == 18 for r in rows)
    for r in rows:
        for field in (r[3], r[9], r[15]):
            assert date(int(field[:4]), int(field[4:6]), int(field[6:])) and len(field) == 8
        assert re.fullmatch(r"\d+,\d\d", r[11]) and re.fullmatch(r"\d+,\d\d", r[12])
        assert r[10].strip() and r[5].strip() and r[4][:3].isdigit()
    assert {r[0] for r in rows} == {"VT"}
    numbers = sorted({r[2] for r in rows})
    assert numbers == ["VT000001", "VT000002"]
    posted = world.received(token)
    ours = [e for e in posted if e["label"] != "Saisie manuelle"]
    for number, entry in zip(numbers, ours, strict=True):
        piece = [r for r in rows if r[2] == number]
        debit = sum(Decimal(r[11].replace(",", ".")) for r in piece)
        credit = sum(Decimal(r[12].replace(",", ".")) for r in piece)
        assert debit == credit == sum(Decimal(ln[1]) for ln in entry["lines"])
        assert {r[8] for r in piece} == {entry["piece_number"]}
        assert {r[3] for r in piece} == {entry["date"].replace("-", "")}
        assert sorted((r[4], r[11].replace(",", "."), r[12].replace(",", ".")) for r in piece) == sorted(
            (ln[0], ln[1], ln[2]) for ln in entry["lines"])
    assert "manuel" not in path.read_bytes().decode("iso-8859-15")


def test_export_fec_wants_a_year_or_a_range(cli_env):
    cli_env.add_chift_tenant("bistro", start_date="2026-11-18")
    result = run("export", "fec", "--tenant", "bistro", "--from", "2026-12-01")
    assert result.exit_code == 2
    assert "give --year, or --from and --to" in result.output
