"""OpenDocument text (.odt): paragraphs and headings in document order, from content.xml in
a stream (src/parsing/package.py); the title from meta.xml."""

from __future__ import annotations

from lxml import etree

from src.parsing.limits import ParseLimits
from src.parsing.package import DC_TITLE, Package, forget, read_package
from src.parsing.sections import Parsed, Sections

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_BLOCKS = frozenset({f"{_TEXT}p", f"{_TEXT}h"})


def _is_outermost(element: etree._Element) -> bool:
    """A paragraph not inside another (a frame's text box): the outer one reads it."""
    return not any(parent.tag in _BLOCKS for parent in element.iterancestors())


def _read(package: Package) -> Parsed:
    sections = Sections(package.limits)
    for event, element in package.events("content.xml"):
        if event == "end" and element.tag in _BLOCKS and _is_outermost(element):
            sections.add("".join(element.itertext()))
            forget(element)
    return sections.parsed(package.first_text("meta.xml", DC_TITLE))


def parse_odt(data: bytes, limits: ParseLimits) -> Parsed:
    return read_package(data, ".odt", limits, _read)
