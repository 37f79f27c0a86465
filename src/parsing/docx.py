"""Word .docx text, streamed from its XML: part count, sizes and compression ratios are
checked before anything is inflated, inflated bytes are counted while reading, the XML
may hold no DTD, entities are never expanded, and libxml2's own limits stay on (nesting
depth 256, text nodes 10 MB: no XML_PARSE_HUGE). Paragraphs and table rows come out in
document order; memory stays flat however long the file."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from lxml import etree

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import MB, ParseLimits

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_BODY = "word/document.xml"
_CORE = "docProps/core.xml"
READ_BYTES = 64 * 1024
MAX_PARTS = 10_000
_RATIO_FROM_BYTES = MB  # small parts may compress well without being bombs
_ENDINGS = {
    f"{_W}tr": "\n",
    f"{_W}tbl": "\n\n",
    f"{_W}tab": "\t",
    f"{_W}br": "\n",
    f"{_W}cr": "\n",
}
Event = tuple[str, etree._Element]


def _check_archive(archive: zipfile.ZipFile, limits: ParseLimits) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise LimitExceededError(
            f"the .docx holds {len(parts):,} parts; the limit is {MAX_PARTS:,}"
        )
    limits.check_inflated(sum(part.file_size for part in parts), "the .docx")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM_BYTES and ratio > limits.max_compression_ratio:
            raise LimitExceededError(
                f"the .docx part {part.filename} inflates {ratio:,.0f}:1; "
                f"the limit is {limits.max_compression_ratio}:1",
                hint="this looks like a zip bomb; or raise RAG_PARSE_MAX_COMPRESSION_RATIO",
            )


def _events(archive: zipfile.ZipFile, name: str, limits: ParseLimits) -> Iterator[Event]:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )
    inflated = 0
    with archive.open(name) as part:
        while chunk := part.read(READ_BYTES):
            if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
                raise InvalidInputError(
                    f"the .docx part {name} declares a DTD, which Word never writes",
                    hint="re-save the document in Word or LibreOffice as .docx",
                )
            inflated += len(chunk)
            limits.check_inflated(inflated, f"the .docx part {name}")
            parser.feed(chunk)
            yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def _forget(element: etree._Element) -> None:
    """Drop a finished element and its finished siblings: memory stays flat, since
    nothing is revisited once its end event has been read."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


class _Layout:
    """Text pieces for the body's events: paragraphs apart, table rows as "a | b" lines."""

    def __init__(self) -> None:
        self.cell_depth = 0
        self.first_cell = True

    def piece(self, event: str, element: etree._Element) -> str:
        tag = element.tag
        if event == "start":
            return self._start(tag)
        if tag == f"{_W}t":
            return str(element.text or "")
        if tag == f"{_W}p":
            return " " if self.cell_depth else "\n\n"
        if tag == f"{_W}tc":
            self.cell_depth -= 1
        return _ENDINGS.get(tag, "")

    def _start(self, tag: str) -> str:
        if tag == f"{_W}tr":
            self.first_cell = True
        elif tag == f"{_W}tc":
            self.cell_depth += 1
            separator = "" if self.first_cell else " | "
            self.first_cell = False
            return separator
        return ""


def _body_text(archive: zipfile.ZipFile, limits: ParseLimits) -> str:
    layout = _Layout()
    parts: list[str] = []
    total = 0
    for event, element in _events(archive, _BODY, limits):
        if piece := layout.piece(event, element):
            parts.append(piece)
            total += len(piece)
            limits.check_chars(total)
        if event == "end":
            _forget(element)
    return "".join(parts)


def _title(archive: zipfile.ZipFile, limits: ParseLimits) -> str:
    if _CORE not in archive.namelist():
        return ""
    for event, element in _events(archive, _CORE, limits):
        if event == "end" and element.tag == _DC_TITLE:
            return (element.text or "").strip()
    return ""


def _xml_error(exc: etree.XMLSyntaxError) -> InvalidInputError:
    message = str(exc)
    if any(word in message for word in ("depth", "limit", "too long", "amplification")):
        return LimitExceededError(
            f"the .docx XML is over a parser limit (nesting depth 256, text node 10 MB): {message}",
            hint="re-save the document in Word or LibreOffice as .docx",
        )
    return InvalidInputError(
        f"the .docx file is corrupt or unreadable: {message}",
        hint="open and re-save it in Word or LibreOffice as .docx",
    )


def parse_docx(data: bytes, limits: ParseLimits) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive, limits)
            return _body_text(archive, limits), _title(archive, limits)
    except InvalidInputError:
        raise
    except etree.XMLSyntaxError as exc:
        raise _xml_error(exc) from exc
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,
        zlib.error,
    ) as exc:
        raise InvalidInputError(
            f"the .docx file is corrupt or unreadable: {exc}",
            hint="open and re-save it in Word or LibreOffice as .docx",
        ) from exc
