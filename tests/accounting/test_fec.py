"""The FEC layout of article A47 A-1 LPF, on entries written by hand."""

from datetime import date

import pytest

from core.accounting.fec import FEC_COLUMNS, FecEntry, FecError, FecLine, fec_filename, write_fec


def entry(piece: str, day: int, lines: tuple[FecLine, ...], journal: str = "VT", validated: int = 30,
          currency: str = "EUR") -> FecEntry:
    return FecEntry(journal_code=journal, journal_label="Ventes", date=date(2026, 11, day), piece_ref=piece,
                    label=f"Ventes du {day:02d}/11/2026 – Café des Arts", validated_on=date(2026, 11, validated),
                    currency=currency, lines=lines)


# A café day: 110,00 € TTC at 10 % paid by card 60,00 and cash 50,00.
CAFE = (FecLine("511500", "Cartes bancaires à encaisser", "Encaissements CB", 6000, 0),
        FecLine("530000", "Caisse", "Encaissements espèces", 5000, 0),
        FecLine("707110", "Ventes de marchandises 10 %", "Ventes 10 %", 0, 10000),
        FecLine("445711", "TVA collectée 10 %", "TVA collectée 10 % – 21/11", 0, 1000))


def test_header_then_one_row_per_line_with_comma_amounts_and_compact_dates():
    text = write_fec([entry("VT-20261121", 21, CAFE)]).decode("iso-8859-15")
    rows = [line.split("|") for line in text.split("\r\n")]
    assert rows[0] == list(FEC_COLUMNS) and len(FEC_COLUMNS) == 18
    assert rows[1] == ["VT", "Ventes", "VT000001", "20261121", "511500", "Cartes bancaires à encaisser", "", "",
                       "VT-20261121", "20261121", "Encaissements CB", "60,00", "0,00", "", "", "20261130", "", ""]
    assert [r[11:13] for r in rows[1:]] == [["60,00", "0,00"], ["50,00", "0,00"], ["0,00", "100,00"],
                                            ["0,00", "10,00"]]
    # ISO 8859-15 has no en dash: it becomes a hyphen, the accents stay
    assert rows[4][10] == "TVA collectée 10 % - 21/11"
    assert not text.endswith("\r\n")


def test_numbers_run_without_gap_per_journal_in_order_of_validation():
    later = entry("VT-2", 20, CAFE, validated=25)
    first = entry("VT-1", 22, CAFE, validated=23)
    other = entry("OD-1", 21, CAFE, journal="OD", validated=24)
    rows = [r.split("\t") for r in write_fec([later, first, other], "\t").decode("iso-8859-15").split("\r\n")[1:]]
    numbering = [(r[0], r[2], r[8]) for r in rows[::4]]
    assert numbering == [("VT", "VT000001", "VT-1"), ("OD", "OD000001", "OD-1"), ("VT", "VT000002", "VT-2")]


def test_a_separator_or_line_break_inside_a_label_cannot_split_a_field():
    odd = (FecLine("530000", "Caisse", "Espèces | caisse\n2", 500, 0), FecLine("707200", "Ventes", "Ventes", 0, 500))
    [_, row, _] = write_fec([entry("P", 3, odd)]).decode("iso-8859-15").split("\r\n")
    assert row.split("|")[10] == "Espèces caisse 2"


@pytest.mark.parametrize(("lines", "message"), [
    ((FecLine("530000", "Caisse", "x", 1000, 0), FecLine("707000", "Ventes", "x", 0, 999)),
     "not balanced: debit 10,00 ≠ credit 9,99"),
    ((), "has no lines"),
    ((FecLine("530000", "Caisse", " ", 1, 0), FecLine("707000", "Ventes", "x", 0, 1)), "no label"),
    ((FecLine("ABC", "?", "x", 1, 0), FecLine("707000", "Ventes", "x", 0, 1)), "three PCG digits"),
])
def test_an_entry_that_cannot_be_in_a_fec_is_refused(lines, message):
    with pytest.raises(FecError, match=message):
        write_fec([entry("P-1", 5, lines)])


def test_amounts_are_in_euros_only():
    with pytest.raises(FecError, match="in CHF"):
        write_fec([entry("P-1", 5, CAFE, currency="CHF")])


def test_file_name_is_siren_fec_closing_date():
    assert fec_filename("443061841", date(2026, 12, 31)) == "443061841FEC20261231.txt"
