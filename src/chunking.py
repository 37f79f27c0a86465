"""Splitting text into overlapping chunks that fit the embedding model, cut on natural
boundaries.

Chunks are measured in the model's own tokens (the text is tokenised once, with each token's
character span), so none is silently truncated by the model, and cut where the text has a
paragraph break, else a line break, else a sentence end, else a space. Each chunk's character
offsets are exact: `text[start:end] == chunk.text`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[int, int]  # a token's [start, end) in characters

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = ".!?\u3002\uff01\uff1f"
# Where a cut may go before token t, from the best kind of place to the worst.
PARAGRAPH, LINE, SENTENCE, WORD, ANYWHERE = range(5)


@dataclass(frozen=True)
class Chunk:
    position: int
    text: str
    start: int
    end: int


def _boundary(text: str, spans: list[Span], t: int) -> int:
    """How good a place the start of token t is to cut."""
    gap = text[spans[t - 1][1] : spans[t][0]]
    if _PARAGRAPH.search(gap):
        return PARAGRAPH
    if "\n" in gap:
        return LINE
    if text[spans[t - 1][1] - 1] in _SENTENCE_END:
        return SENTENCE
    return WORD if gap else ANYWHERE


def _cut(text: str, spans: list[Span], start: int, budget: int) -> int:
    """The token index to end a chunk that begins at `start`: the best boundary in the
    second half of the budget, as late as possible."""
    limit = start + budget
    if limit >= len(spans):
        return len(spans)
    best, cut = ANYWHERE, limit
    for t in range(limit, start + budget // 2, -1):
        kind = _boundary(text, spans, t)
        if kind < best:
            best, cut = kind, t
            if kind == PARAGRAPH:
                break
    return cut


def _next_start(
    text: str, spans: list[Span], start: int, cut: int, overlap: int, sections: Sequence[int]
) -> int:
    if overlap <= 0:
        return cut
    begin = max(cut - overlap, start + 1)
    # No overlap back across a section's start (a page, a slide): the chunk begins with it.
    last = bisect.bisect_right(sections, spans[cut][0]) - 1
    if last >= 0 and sections[last] > spans[begin][0]:
        return next(t for t in range(begin, cut + 1) if spans[t][0] >= sections[last])
    # Begin the overlap on a word, not inside one.
    for t in range(begin, cut):
        if _boundary(text, spans, t) <= WORD:
            return t
    return begin


def chunk_text(
    text: str, spans: list[Span], budget: int, overlap: int, sections: Sequence[int] = ()
) -> list[Chunk]:
    """Chunks of at most `budget` tokens (given as character spans), each sharing about
    `overlap` tokens with the one before, except across the start of a section (sorted
    character offsets: where each page or slide begins)."""
    budget = max(budget, 1)
    overlap = min(overlap, budget // 2)
    chunks: list[Chunk] = []
    start = 0
    while start < len(spans):
        cut = _cut(text, spans, start, budget)
        begin, end = spans[start][0], spans[cut - 1][1]
        chunks.append(Chunk(len(chunks), text[begin:end], begin, end))
        if cut >= len(spans):
            break
        start = _next_start(text, spans, start, cut, overlap, sections)
    return chunks
