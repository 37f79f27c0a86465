"""A parsed file as sections of text, each at its place in the source (page, slide, rows),
joined into the document's text with the marks that say where each place begins."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.parsing.limits import ParseLimits
from src.parsing.text import normalize_text
from src.places import Mark, Place


@dataclass(frozen=True)
class Attachment:
    """A file inside another (a mail's attachment), to be ingested as a document of its own."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Parsed:
    """A document's normalised text, the title found in the file ("" if none), where each
    place in the source begins in the text, and the files attached to it."""

    text: str
    title: str = ""
    marks: list[Mark] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    unread_pages: int = 0  # pages left for OCR (ParseLimits.defer_ocr)


class Sections:
    """Sections as a parser reads them, counted against the character limit as they come."""

    def __init__(self, limits: ParseLimits) -> None:
        self._limits = limits
        self._parts: list[tuple[str, Place]] = []
        self._chars = 0

    def check_more(self, chars: int) -> None:
        """Refuse a section being built once it would take the text over the limit."""
        self._limits.check_chars(self._chars + chars)

    def add(self, text: str, place: Place | None = None) -> None:
        self._chars += len(text)
        self._limits.check_chars(self._chars)
        self._parts.append((text, place or {}))

    def parsed(
        self, title: str = "", attachments: list[Attachment] | None = None, unread: int = 0
    ) -> Parsed:
        """Each section normalised on its own (so its mark is exact), empty ones dropped,
        the rest a paragraph apart."""
        texts: list[str] = []
        marks: list[Mark] = []
        offset = 0
        for raw, place in self._parts:
            text = normalize_text(raw)
            if not text:
                continue
            if texts:
                offset += 2
            if place:
                marks.append((offset, place))
            texts.append(text)
            offset += len(text)
        return Parsed("\n\n".join(texts), title.strip(), marks, attachments or [], unread)


def whole(text: str, title: str, limits: ParseLimits) -> Parsed:
    """A file with no places in it (plain text, Markdown, HTML, Word)."""
    sections = Sections(limits)
    sections.add(text)
    return sections.parsed(title)
