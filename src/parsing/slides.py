"""PowerPoint .pptx decks: each slide a section at its slide number, in presentation order,
its text in reading order and then its speaker notes. Read from the slides' XML in a stream
(src/parsing/package.py)."""

from __future__ import annotations

from collections.abc import Iterator

from src.parsing.limits import ParseLimits
from src.parsing.package import CORE, DC_TITLE, Package, forget, read_package
from src.parsing.sections import Parsed, Sections

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PRESENTATION = "ppt/presentation.xml"
_LINE_ENDS = frozenset({f"{_A}p", f"{_A}br"})


def _slide_parts(package: Package) -> list[str]:
    """The slides' parts in presentation order (sldIdLst), hidden ones included."""
    relations = package.relationships(_PRESENTATION)
    parts = []
    for event, element in package.events(_PRESENTATION):
        if event == "end" and element.tag == f"{_P}sldId":
            found = relations.get(element.get(_R_ID, ""))
            if found and package.has(found.target):
                parts.append(found.target)
    return parts


def _shapes(package: Package, part: str) -> Iterator[tuple[str, str]]:
    """(placeholder type or "", text) of each shape of a slide, in document order."""
    lines: list[str] = []
    placeholder = ""
    for event, element in package.events(part):
        tag = element.tag
        if event == "start" and tag == f"{_P}sp":
            lines, placeholder = [], ""
        elif event == "end" and tag == f"{_P}ph":
            placeholder = element.get("type", "body")
        elif event == "end" and tag == f"{_A}t":
            lines.append(element.text or "")
        elif event == "end" and tag in _LINE_ENDS:
            lines.append("\n")
        elif event == "end" and tag in (f"{_P}sp", f"{_P}graphicFrame"):
            yield placeholder, "".join(lines)
            lines, placeholder = [], ""
            forget(element)


def _notes(package: Package, slide: str) -> str:
    for relation in package.relationships(slide).values():
        if relation.kind.endswith("/notesSlide") and package.has(relation.target):
            # The notes page's body; its other shapes repeat the slide image and number.
            body = (text for kind, text in _shapes(package, relation.target) if kind == "body")
            return "\n".join(body).strip()
    return ""


def _read(package: Package) -> Parsed:
    sections = Sections(package.limits)
    for number, slide in enumerate(_slide_parts(package), start=1):
        text = "\n".join(text for _, text in _shapes(package, slide))
        if notes := _notes(package, slide):
            text = f"{text}\n\nNotes: {notes}"
        sections.add(text, {"slide": number})
    return sections.parsed(package.first_text(CORE, DC_TITLE))


def parse_pptx(data: bytes, limits: ParseLimits) -> Parsed:
    return read_package(data, ".pptx", limits, _read)
