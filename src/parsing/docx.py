"""Word .docx text, streamed from its XML within the package limits (src/parsing/package.py).
Paragraphs and table rows come out in document order; memory stays flat however long the
file."""

from __future__ import annotations

from lxml import etree

from src.parsing.limits import ParseLimits
from src.parsing.package import CORE, DC_TITLE, Package, forget, read_package

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BODY = "word/document.xml"
_ENDINGS = {
    f"{_W}tr": "\n",
    f"{_W}tbl": "\n\n",
    f"{_W}tab": "\t",
    f"{_W}br": "\n",
    f"{_W}cr": "\n",
}


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


def _body_text(package: Package) -> str:
    layout = _Layout()
    parts: list[str] = []
    total = 0
    for event, element in package.events(_BODY):
        if piece := layout.piece(event, element):
            parts.append(piece)
            total += len(piece)
            package.limits.check_chars(total)
        if event == "end":
            forget(element)
    return "".join(parts)


def parse_docx(data: bytes, limits: ParseLimits) -> tuple[str, str]:
    return read_package(
        data,
        ".docx",
        limits,
        lambda package: (_body_text(package), package.first_text(CORE, DC_TITLE)),
    )
