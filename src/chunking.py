"""Splitting text into overlapping chunks on natural boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARIES = (
    re.compile(r"\n\s*\n"),  # paragraphs
    re.compile(r"\n"),  # lines
    re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+"),  # sentences
    re.compile(r"\s+"),  # words
)


@dataclass(frozen=True)
class Chunk:
    position: int
    text: str
    start: int
    end: int


def _cut_point(text: str, start: int, limit: int) -> int:
    """The last natural boundary in text[start:limit], or `limit` when there is none."""
    window = text[start:limit]
    for pattern in _BOUNDARIES:
        ends = [m.end() for m in pattern.finditer(window) if m.end() > len(window) // 2]
        if ends:
            return start + ends[-1]
    return limit


def _next_start(text: str, cut: int, overlap: int, previous_start: int) -> int:
    if overlap <= 0:
        return cut
    start = max(cut - overlap, previous_start + 1)
    # Begin the overlap on a word, not in the middle of one.
    space = text.find(" ", start, cut)
    return space + 1 if space != -1 else start


def chunk_text(text: str, size: int = 1000, overlap: int = 150) -> list[Chunk]:
    """Chunks of at most `size` characters, each sharing about `overlap` with the last."""
    overlap = min(overlap, size // 2)
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        cut = len(text) if len(text) - start <= size else _cut_point(text, start, start + size)
        piece = text[start:cut].strip()
        if piece:
            offset = start + (len(text[start:cut]) - len(text[start:cut].lstrip()))
            chunks.append(Chunk(len(chunks), piece, offset, offset + len(piece)))
        if cut >= len(text):
            break
        start = _next_start(text, cut, overlap, start)
    return chunks
