"""Hostile files, generated small: zip bombs, entity bombs, deep nesting, PDF bombs.

Each function returns the bytes of one upload; none needs more than a few MB to build.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

MB = 1024 * 1024
_W_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(document_xml: bytes, *, compress: bool = True, title: str = "") -> bytes:
    """A .docx holding `document_xml` as its body (and a core.xml title when given)."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("word/document.xml", document_xml)
        if title:
            archive.writestr(
                "docProps/core.xml",
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>{title}</dc:title></cp:coreProperties>",
            )
    return buffer.getvalue()


def word_xml(body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document '
        + _W_NS
        + b"><w:body>"
        + body
        + b"</w:body></w:document>"
    )


def paragraph(text: str) -> bytes:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()


def docx_zip_bomb(paragraphs: int = 4_000_000) -> bytes:
    """~0.5 MB that inflates to ~180 MB of small paragraphs (the OOM-kill of the issue)."""
    return docx(word_xml(paragraph("hello world") * paragraphs))


def zip_bomb(parts: dict[str, bytes], bomb: str, inflated_mb: int = 300) -> bytes:
    """A zip of `parts` plus the part `bomb`: `inflated_mb` of spaces deflated to ~1 kB/MB
    (streamed in, never held whole)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open(bomb, "w", force_zip64=True) as part:
            block = b" " * MB
            for _ in range(inflated_mb):
                part.write(block)
    return buffer.getvalue()


def docx_deep(depth: int = 100_000) -> bytes:
    """Elements nested 100k deep, stored uncompressed so no ratio check catches it."""
    return docx(word_xml(b"<w:p>" * depth + b"</w:p>" * depth), compress=False)


def docx_entity_bomb() -> bytes:
    """The billion laughs: ten levels of ten references each."""
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        refs = f"&lol{level - 1};".encode() * 10
        entities.append(f'<!ENTITY lol{level} "'.encode() + refs + b'">')
    dtd = b"<!DOCTYPE w:document [" + b"".join(entities) + b"]>"
    xml = word_xml(paragraph("&lol9;"))
    return docx(xml.replace(b"?><w:document", b"?>" + dtd + b"<w:document", 1))


def docx_text_node(megabytes: int = 40) -> bytes:
    """One text node of `megabytes`, stored uncompressed (a plausible ratio)."""
    return docx(word_xml(paragraph("x" * (megabytes * MB))), compress=False)


def _pdf(objects: list[bytes], size: int | None = None) -> bytes:
    """A PDF with these objects numbered from 1 (1 is the catalog) and a correct xref."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    declared = size if size is not None else len(objects) + 1
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (declared, xref)
    return bytes(out)


def _stream(data: bytes, *, deflated: bool) -> bytes:
    flate = b" /Filter /FlateDecode" if deflated else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), flate) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _page(contents: int, parent: int = 2) -> bytes:
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>" % (parent, contents)
    )


def pdf_text(text: str) -> bytes:
    """A valid one-page PDF showing `text`."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _page(4),
            _stream(content, deflated=False),
            _FONT,
        ]
    )


def deflate_bomb(inflated_mb: int) -> bytes:
    """Deflated spaces: ~1 kB per inflated MB, built without holding the inflated bytes."""
    compressor = zlib.compressobj(9)
    block = b" " * MB
    parts = [compressor.compress(block) for _ in range(inflated_mb)]
    return b"".join(parts) + compressor.flush()


def pdf_flate_bomb(inflated_mb: int = 1024) -> bytes:
    """A page whose content stream inflates to `inflated_mb` of spaces."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _page(4),
            _stream(deflate_bomb(inflated_mb), deflated=True),
            _FONT,
        ]
    )


def pdf_declared_pages(pages: int = 99_000) -> bytes:
    """A few kB that declares `pages` pages, all one shared page object."""
    kids = b" ".join([b"3 0 R"] * min(pages, 1000))
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            _page(4),
            _stream(b"BT /F1 12 Tf 72 720 Td (page) Tj ET", deflated=False),
            _FONT,
        ]
    )


def pdf_shared_page_tree(fanout: int = 100) -> bytes:
    """A million pages (fanout^3) from three levels of shared page-tree nodes, declaring one."""

    def kids(target: int) -> bytes:
        return b" ".join([b"%d 0 R" % target] * fanout)

    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids(6) + b"] /Count 1 >>",
            _page(4, parent=7),
            _stream(b"BT /F1 12 Tf 72 720 Td (page) Tj ET", deflated=False),
            _FONT,
            b"<< /Type /Pages /Parent 2 0 R /Kids [" + kids(7) + b"] /Count 1 >>",
            b"<< /Type /Pages /Parent 6 0 R /Kids [" + kids(3) + b"] /Count 1 >>",
        ]
    )


def pdf_declared_objects(objects: int = 50_000_000) -> bytes:
    """A valid small PDF whose trailer declares `objects` objects."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _page(4),
            _stream(b"BT /F1 12 Tf 72 720 Td (objects) Tj ET", deflated=False),
            _FONT,
        ],
        size=objects,
    )


def html_nested(depth: int = 2_000_000) -> bytes:
    """Deeply nested HTML: CPU for Python's HTMLParser, nothing else."""
    return b"<html><body>" + b"<div><span>x" * depth + b"</body></html>"


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` pixels and holds almost none of them."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def pdf_image_pages(pages: int = 5_000) -> bytes:
    """`pages` pages with no text layer, each showing one (tiny) image: a scanner's PDF."""
    content, image = pages + 3, pages + 4
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (content, image)
    )
    kids = b" ".join(b"%d 0 R" % number for number in range(3, pages + 3))
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            *[page] * pages,
            _stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q", deflated=False),
            b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length 1 >>\nstream\n\xff\nendstream",
        ]
    )


def msg_attachments(count: int = 1_000) -> bytes:
    from datetime import UTC, datetime

    import outlook

    files = [(f"n{i}.txt", b"hi") for i in range(count)]
    return outlook.message("Bulk", "Many", "A <a@example.com>", datetime.now(UTC), files)


# (file name, maker, words the refusal must contain)
def package_bomb(main_part: str, bomb: str) -> bytes:
    """A package of the kind its main part names, with a ~300 MB part inflated from ~300 kB."""
    main = b"application/epub+zip" if main_part == "mimetype" else b"<x/>"
    return zip_bomb({main_part: main}, bomb)


def csv_wide(columns: int = 100_000) -> bytes:
    return ",".join(f"c{i}" for i in range(columns)).encode() + b"\n"


def mail_attachments(count: int = 1_000) -> bytes:
    import documents

    return documents.mail("Bulk", "Many files", [(f"n{i}.txt", b"hi") for i in range(count)])


CATALOGUE: list[tuple[str, Callable[[], bytes], str]] = [
    ("bomb.docx", docx_zip_bomb, "the limit is 100:1"),
    ("deep.docx", docx_deep, "nesting depth 256"),
    ("laughs.docx", docx_entity_bomb, "declares a DTD"),
    ("node.docx", lambda: docx_text_node(40), "text node 10 MB"),
    ("flate.pdf", lambda: pdf_flate_bomb(1024), "over a parsing limit"),
    ("pages.pdf", pdf_declared_pages, "declares 99,000 pages"),
    ("shared.pdf", pdf_shared_page_tree, "page tree"),
    ("objects.pdf", pdf_declared_objects, "declares 50,000,000 objects"),
    ("nested.html", html_nested, "limit"),
    ("bomb.pptx", lambda: package_bomb("ppt/presentation.xml", "ppt/slides/slide1.xml"), "256 MB"),
    ("bomb.xlsx", lambda: package_bomb("xl/workbook.xml", "xl/worksheets/sheet1.xml"), "256 MB"),
    ("bomb.epub", lambda: package_bomb("mimetype", "OEBPS/chapter1.xhtml"), "256 MB"),
    ("wide.csv", csv_wide, "more than 1,000 columns"),
    ("deep.json", lambda: b"[" * 100_000 + b"]" * 100_000, "nests"),
    ("attachments.eml", mail_attachments, "more than 100 MIME parts"),
    ("attachments.msg", msg_attachments, "more than 100 MIME parts"),
    ("huge.png", lambda: png_header(30_000, 30_000), "30,000 x 30,000 pixels"),
    ("scans.pdf", pdf_image_pages, "5,000 pages to read by OCR"),
]
