"""Real documents of every supported format, written by the formats' own libraries (fpdf2,
python-docx, python-pptx, openpyxl, ebooklib, the stdlib's email and csv) from known text,
so a test can say which sentence lies on which page, slide or row."""

from __future__ import annotations

import io
import zipfile

from fpdf import FPDF


def package(parts: dict[str, bytes]) -> bytes:
    """A zip of the given parts, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pdf_pages(pages: list[str], title: str = "") -> bytes:
    """A PDF with one page per string (an empty string: a blank page)."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())
