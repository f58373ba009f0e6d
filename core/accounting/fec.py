"""The FEC (Fichier des Écritures Comptables) of the entries this system posted.

Layout of article A47 A-1 of the Livre des procédures fiscales (arrêté of 29 July 2013; BOFiP
BOI-CF-IOR-60-40-20): a flat file, first line the 18 field names, one line per entry line,
``|`` or tab separated, dates ``AAAAMMJJ``, amounts with a decimal comma and no thousands
separator, ISO 8859-15 text, named ``<SIREN>FEC<closing date AAAAMMJJ>.txt``. Entries are in
chronological order of validation and ``EcritureNum`` is a continuous sequence per journal.
Amounts are in euros (Montantdevise and Idevise stay empty; a non-euro entry is refused).

Pure: entries in, bytes out. Reading what was posted is :mod:`resources.books`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from core.money import cents_to_amount

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)
SEPARATORS = ("|", "\t")
ENCODING = "iso-8859-15"
# Typography that ISO 8859-15 lacks, written the way a French accountant would type it.
_ASCII_FORMS = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...",
                              "\u00a0": " ", "\u202f": " "})


class FecError(ValueError):
    """An entry that cannot go in a FEC (unbalanced, no lines, no label)."""


@dataclass(frozen=True)
class FecLine:
    account: str
    account_label: str
    label: str
    debit_cents: int
    credit_cents: int


@dataclass(frozen=True)
class FecEntry:
    journal_code: str
    journal_label: str
    date: date
    piece_ref: str
    label: str
    validated_on: date
    currency: str
    lines: tuple[FecLine, ...] = field(default_factory=tuple)

    def check(self) -> None:
        where = f"entry {self.piece_ref} of {self.date.isoformat()}"
        if self.currency != "EUR":
            raise FecError(f"{where} is in {self.currency}: FEC amounts are in euros, the accounting currency")
        if not self.lines:
            raise FecError(f"{where} has no lines")
        debit = sum(ln.debit_cents for ln in self.lines)
        credit = sum(ln.credit_cents for ln in self.lines)
        if debit != credit:
            raise FecError(f"{where} is not balanced: debit {format_amount(debit)} ≠ credit {format_amount(credit)}")
        for ln in self.lines:
            if not ln.label.strip():
                raise FecError(f"{where}: a line on {ln.account} has no label (EcritureLib must not be empty)")
            if len(ln.account) < 3 or not ln.account[:3].isdigit():
                raise FecError(f"{where}: account {ln.account!r} does not start with three PCG digits")


def format_amount(cents: int) -> str:
    """``123456`` → ``1234,56``: a decimal comma, no thousands separator."""
    return cents_to_amount(cents).replace(".", ",")


def format_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def clean_text(text: str, separator: str) -> str:
    """One field's text: no separator, no line break, only characters ISO 8859-15 can hold."""
    text = unicodedata.normalize("NFC", str(text)).translate(_ASCII_FORMS)
    text = " ".join(text.replace(separator, " ").split())
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?")
    return "".join(out)


def fec_rows(entries: list[FecEntry]) -> list[list[str]]:
    """The data rows, entries in order of validation (then date, then piece), numbered without gap
    per journal."""
    ordered = sorted(entries, key=lambda e: (e.validated_on, e.date, e.journal_code, e.piece_ref))
    numbers: dict[str, int] = {}
    rows = []
    for entry in ordered:
        entry.check()
        numbers[entry.journal_code] = numbers.get(entry.journal_code, 0) + 1
        for ln in entry.lines:
            rows.append([
                entry.journal_code, entry.journal_label, f"{entry.journal_code}{numbers[entry.journal_code]:06d}",
                format_date(entry.date), ln.account, ln.account_label, "", "", entry.piece_ref,
                format_date(entry.date), ln.label, format_amount(ln.debit_cents), format_amount(ln.credit_cents),
                "", "", format_date(entry.validated_on), "", "",
            ])
    return rows


def write_fec(entries: list[FecEntry], separator: str = "|") -> bytes:
    if separator not in SEPARATORS:
        raise FecError(f"the FEC separator is '|' or a tab, not {separator!r}")
    lines = [separator.join(FEC_COLUMNS)]
    lines += [separator.join(clean_text(v, separator) for v in row) for row in fec_rows(entries)]
    return "\r\n".join(lines).encode(ENCODING)


def fec_filename(siren: str, closing: date) -> str:
    return f"{siren}FEC{format_date(closing)}.txt"
