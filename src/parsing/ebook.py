"""EPUB e-books: the chapters in reading order (the package's spine), each a section at its
chapter number; XHTML chapters read like HTML (src/parsing/text.py), the book's title from
its package document. Parts are read within the package limits (src/parsing/package.py)."""

from __future__ import annotations

import posixpath

from src.parsing.limits import ParseLimits
from src.parsing.package import DC_TITLE, Package, read_package
from src.parsing.sections import Parsed, Sections
from src.parsing.text import parse_html

_CONTAINER = "META-INF/container.xml"
_ROOTFILE = "{urn:oasis:names:tc:opendocument:xmlns:container}rootfile"
_OPF = "{http://www.idpf.org/2007/opf}"
_CHAPTER_TYPES = frozenset({"application/xhtml+xml", "text/html"})


def _package_document(package: Package) -> str:
    for event, element in package.events(_CONTAINER):
        if event == "end" and element.tag == _ROOTFILE:
            return str(element.get("full-path", ""))
    raise package.corrupt(f"{_CONTAINER} names no package document")


def _spine(package: Package, opf: str) -> tuple[list[str], str]:
    """(the chapters' parts in reading order, the book's title)."""
    folder = posixpath.dirname(opf)
    items: dict[str, str] = {}
    order: list[str] = []
    title = ""
    for event, element in package.events(opf):
        if event != "end":
            continue
        if element.tag == f"{_OPF}item" and element.get("media-type") in _CHAPTER_TYPES:
            href = posixpath.normpath(posixpath.join(folder, element.get("href", "")))
            items[element.get("id", "")] = href
        elif element.tag == f"{_OPF}itemref" and element.get("linear") != "no":
            order.append(element.get("idref", ""))
        elif element.tag == DC_TITLE and not title:
            title = (element.text or "").strip()
    return [items[ref] for ref in order if ref in items and package.has(items[ref])], title


def _read(package: Package) -> Parsed:
    chapters, title = _spine(package, _package_document(package))
    sections = Sections(package.limits)
    for number, part in enumerate(chapters, start=1):
        # XHTML may declare its doctype; the HTML reader never loads or expands one.
        text, _ = parse_html(package.read(part, allow_dtd=True))
        sections.add(text, {"chapter": number})
    return sections.parsed(title)


def parse_epub(data: bytes, limits: ParseLimits) -> Parsed:
    return read_package(data, ".epub", limits, _read)
