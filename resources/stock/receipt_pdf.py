"""A one-page PDF of a goods receipt, written by hand (no dependency).

Pennylane's supplier-invoice import needs a file. The PDF is **deterministic** (no creation
date, fixed object order): the same receipt always gives the same bytes, which is what makes
Pennylane's de-duplication "by file" a second safety net behind our own sending state.
Text is Latin-1 (WinAnsi) in Helvetica; characters outside Latin-1 are replaced by "?".
"""

from __future__ import annotations

from collections.abc import Sequence


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A single A4 page: ``title`` in bold, then one text line per entry of ``lines``."""
    ops = ["BT", "/F2 14 Tf", "50 800 Td", f"({_escape(title)}) Tj", "/F1 10 Tf", "0 -24 Td"]
    for line in lines[:60]:
        ops += [f"({_escape(line)}) Tj", "0 -13 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
