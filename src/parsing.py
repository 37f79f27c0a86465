"""Turning uploaded bytes into plain text. File names choose a parser, never a path."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import PurePosixPath

from src.errors import InvalidInputError, UnsupportedTypeError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
_CONTENT_TYPES = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def detect_suffix(filename: str | None, content_type: str | None) -> str:
    """The parser key for an upload, from its name first and its content type second."""
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return suffix
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not suffix and media_type in _CONTENT_TYPES:
        return _CONTENT_TYPES[media_type]
    shown = suffix or media_type or "unknown"
    raise UnsupportedTypeError(
        f"unsupported file type {shown!r}",
        hint=f"upload one of: {', '.join(SUPPORTED_SUFFIXES)}",
    )


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def decode_text(data: bytes) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"the file is not valid UTF-8 text (bad byte at offset {exc.start})",
            hint="save the file as UTF-8 and upload it again",
        ) from exc
    if "\x00" in text:
        raise InvalidInputError(
            "the file contains NUL bytes: it looks binary, not text",
            hint="upload a text file, or use the file's own extension (.pdf, .docx)",
        )
    return text


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "section",
            "article",
            "pre",
            "blockquote",
            "table",
            "title",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skipping = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping:
            self.parts.append(data)


def _parse_html(data: bytes) -> tuple[str, str]:
    extractor = _TextExtractor()
    extractor.feed(decode_text(data))
    extractor.close()
    return "".join(extractor.parts), extractor.title.strip()


def _parse_markdown(data: bytes) -> tuple[str, str]:
    text = decode_text(data)
    heading = re.search(r"^#{1,6}\s+(.+)$", text, flags=re.MULTILINE)
    return text, heading.group(1).strip() if heading else ""


def _parse_pdf(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidInputError("the PDF is encrypted", hint="upload an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str(reader.metadata.title or "") if reader.metadata else ""
    except InvalidInputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInputError(
            f"the PDF is corrupt or unreadable: {exc}",
            hint="open and re-save the PDF, or upload its text instead",
        ) from exc
    return "\n\n".join(pages), title.strip()


def _parse_docx(data: bytes) -> tuple[str, str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInputError(
            f"the .docx file is corrupt or unreadable: {exc}",
            hint="open and re-save it in Word or LibreOffice as .docx",
        ) from exc
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        paragraphs.extend(" | ".join(cell.text for cell in row.cells) for row in table.rows)
    return "\n\n".join(paragraphs), (document.core_properties.title or "").strip()


_PARSERS: dict[str, Callable[[bytes], tuple[str, str]]] = {
    ".txt": lambda data: (decode_text(data), ""),
    ".md": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".docx": _parse_docx,
}


def extract_text(data: bytes, suffix: str) -> tuple[str, str]:
    """(normalised text, title found in the file or ""); empty results are rejected."""
    if not data:
        raise InvalidInputError("the file is empty", hint="upload a file with some text in it")
    text, title = _PARSERS[suffix](data)
    text = normalize_text(text)
    if not text:
        raise InvalidInputError(
            "no text could be extracted from the file",
            hint="scanned PDFs need OCR first; otherwise check the file has text",
        )
    return text, title
