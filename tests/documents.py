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


def docx_paragraphs(paragraphs: list[str], title: str = "") -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = title
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def deck(slides: list[tuple[str, str, str]], title: str = "") -> bytes:
    """A .pptx with a title-and-content slide per (title, body, speaker notes)."""
    from pptx import Presentation

    presentation = Presentation()
    presentation.core_properties.title = title
    for heading, body, notes in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = heading
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def workbook(sheets: dict[str, list[list[object]]], title: str = "") -> bytes:
    """An .xlsx with a sheet per name, its rows as given (dates stay dates)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(rows: list[list[str]], delimiter: str = ",") -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode()


def ebook(chapters: list[tuple[str, str]], title: str) -> bytes:
    """An EPUB with a chapter per (heading, paragraph), in that reading order."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("test-book")
    book.set_title(title)
    book.set_language("en")
    items = []
    for number, (heading, text) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=heading, file_name=f"chap_{number}.xhtml", lang="en")
        item.content = f"<html><body><h1>{heading}</h1><p>{text}</p></body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = items
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()


_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def odt(paragraphs: list[str], title: str = "") -> bytes:
    """An OpenDocument text file (the parts LibreOffice writes that a reader needs)."""
    from xml.sax.saxutils import escape

    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    content = (
        f'<office:document-content xmlns:office="{_ODF_OFFICE}" xmlns:text="{_ODF_TEXT}">'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    meta = (
        f'<office:document-meta xmlns:office="{_ODF_OFFICE}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<office:meta><dc:title>{escape(title)}</dc:title></office:meta></office:document-meta>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def mail(subject: str, body: str, attachments: list[tuple[str, bytes]] | None = None) -> bytes:
    """An RFC 5322 message with a plain-text body and the given attachments."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "Ada Lovelace <ada@example.com>"
    message["To"] = "team@example.com"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    message.set_content(body)
    for name, data in attachments or []:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


_WORDS = [
    "amber",
    "basalt",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "granite",
    "harbor",
    "island",
    "juniper",
    "kelp",
    "lagoon",
    "meadow",
    "nectar",
    "orchard",
    "prairie",
    "quartz",
    "river",
    "savanna",
    "tundra",
    "upland",
    "valley",
    "willow",
    "yarrow",
    "zephyr",
]


def filler(seed: int, words: int = 260) -> str:
    """Plain sentences of landscape words, different for each seed: enough text to give a
    page or slide a chunk of its own."""
    picked = [_WORDS[(seed * 7 + i * (seed % 5 + 1)) % len(_WORDS)] for i in range(words)]
    sentences = [" ".join(picked[i : i + 10]).capitalize() + "." for i in range(0, words, 10)]
    return " ".join(sentences)


DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core
WQY_ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # fonts-wqy-zenhei


def scan(lines: list[str], font: str = DEJAVU_SANS, size: int = 44, fmt: str = "PNG") -> bytes:
    """A page of printed lines at 300 dpi (44 px: about 11 pt), black on white, as an image
    file of the given format: what a scanner makes of a printed page."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(font, size)
    page = Image.new("L", (2480, 300 + len(lines) * size * 2), 255)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((250, 150 + number * size * 2), line, font=face, fill=0)
    buffer = io.BytesIO()
    page.save(buffer, fmt, dpi=(300, 300))
    return buffer.getvalue()


def scanned_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages are images of printed lines, with no text layer (a scanner's PDF)."""
    pdf = FPDF(unit="pt", format="A4")
    for lines in pages:
        pdf.add_page()
        pdf.image(io.BytesIO(scan(lines)), x=0, y=0, w=pdf.w)
    return bytes(pdf.output())
