"""A document with a table as a PDF (fpdf2): the goods receipt attached to the supplier invoice
sent to Pennylane.

- Any text: accents, ``€``, ``Œ``, Polish, Czech, Greek or Cyrillic names, in Noto Sans embedded
  as a subset. The font comes from the ``fontpkg-noto-sans`` package (SIL Open Font License 1.1,
  which allows embedding and redistribution): nothing is read from the system nor downloaded.
- A table of any length, over as many A4 pages as it needs, its heading repeated on each page,
  "page n/N" in the footer; the totals after it.
- Deterministic: the creation date is the document's own date and nothing else varies, so the
  same document always gives the same bytes (Pennylane's de-duplication "by file" is a second
  safety net behind our own sending state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import fontpkg
from fpdf import FPDF, FontFace

FONT = "NotoSans"
TEXT_SIZE = 9
HEADING_GREY = 225
TOTALS_LINE = 5.0  # mm


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # relative to the other columns
    align: str = "LEFT"  # or "RIGHT" (amounts, quantities)


@dataclass(frozen=True)
class TableDocument:
    title: str
    dated: date  # the document's date, also the PDF's creation date
    lines: Sequence[str]  # under the title
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    totals: Sequence[tuple[str, str]]  # (label, amount), after the table
    footer: str  # left of "page n/N"


class _Pdf(FPDF):
    def __init__(self, footer: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.cell(0, 5, self._footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()}/{{nb}}", align="R")


def render_pdf(doc: TableDocument) -> bytes:
    pdf = _Pdf(doc.footer)
    pdf.set_creation_date(datetime(doc.dated.year, doc.dated.month, doc.dated.day, tzinfo=UTC))
    pdf.set_producer("pennylane-sync")
    pdf.set_title(doc.title)
    pdf.add_font(FONT, "", fontpkg.path("Noto Sans", weight=400))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font(FONT, size=15)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=TEXT_SIZE + 1)
    for line in doc.lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, size=TEXT_SIZE)
    headings = FontFace(emphasis="", fill_color=HEADING_GREY)
    with pdf.table(col_widths=[c.width for c in doc.columns], text_align=[c.align for c in doc.columns],
                   headings_style=headings, line_height=4.6, padding=0.8) as table:
        table.row([c.title for c in doc.columns])
        for row in doc.rows:
            table.row(list(row))
    if doc.totals:
        pdf.ln(3)
        if pdf.will_page_break(len(doc.totals) * (TOTALS_LINE + 1.6)):
            pdf.add_page()  # the totals together, on one page
        with pdf.table(width=90, col_widths=(3, 2), align="RIGHT", text_align=("LEFT", "RIGHT"),
                       first_row_as_headings=False, line_height=TOTALS_LINE, padding=0.8) as table:
            for label, amount in doc.totals:
                table.row([label, amount])
    return bytes(pdf.output())
