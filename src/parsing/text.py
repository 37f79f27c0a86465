"""Plain text, Markdown and HTML; text normalisation."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from src.errors import InvalidInputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str) -> str:
    # Lone surrogates (from JSON escapes or broken PDFs) cannot be stored as UTF-8, and no
    # Postgres text can hold a NUL: both become U+FFFD, which keeps every offset.
    text = _SURROGATE.sub("\ufffd", text).replace("\x00", "\ufffd")
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


def parse_html(data: bytes) -> tuple[str, str]:
    extractor = _TextExtractor()
    extractor.feed(decode_text(data))
    extractor.close()
    return "".join(extractor.parts), extractor.title.strip()


def parse_markdown(data: bytes) -> tuple[str, str]:
    text = decode_text(data)
    heading = re.search(r"^#{1,6}\s+(.+)$", text, flags=re.MULTILINE)
    return text, heading.group(1).strip() if heading else ""
