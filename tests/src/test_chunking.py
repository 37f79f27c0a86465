"""Token-budget chunking: bounds, exact offsets, overlap, boundaries."""

from __future__ import annotations

import itertools
import re

import pytest

from src.chunking import Chunk, Span, chunk_text

TEXT = "\n\n".join(
    f"Paragraph {p}. " + " ".join(f"Sentence {p}.{s} has several plain words." for s in range(9))
    for p in range(12)
)


def _spans(text: str) -> list[Span]:
    """A stand-in tokenizer: words and punctuation marks, as the model's splits them."""
    return [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]


def _tokens(text: str) -> int:
    return len(_spans(text))


@pytest.mark.parametrize(("budget", "overlap"), [(40, 0), (100, 16), (254, 32), (2000, 50)])
def test_chunk_text_bounds_and_offsets(budget: int, overlap: int) -> None:
    chunks = chunk_text(TEXT, _spans(TEXT), budget, overlap)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(_tokens(c.text) <= budget for c in chunks)
    assert all(TEXT[c.start : c.end] == c.text for c in chunks)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(TEXT) if not ch.isspace())


def test_chunk_text_overlaps_and_prefers_boundaries() -> None:
    chunks = chunk_text(TEXT, _spans(TEXT), 100, 16)
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))
    assert all(c.text.endswith(".") for c in chunks[:-1])
    assert all(not c.text[0].isspace() for c in chunks)


def test_chunk_text_prefers_paragraphs_over_sentences() -> None:
    text = "One two three. Four five six.\n\nSeven eight nine. Ten eleven twelve."
    chunks = chunk_text(text, _spans(text), 12, 0)
    assert chunks[0].text == "One two three. Four five six."


def test_chunk_text_without_boundaries_still_splits() -> None:
    text = "x" * 2500
    spans = [(i, i + 5) for i in range(0, 2500, 5)]  # subword pieces, no gaps
    chunks = chunk_text(text, spans, 100, 10)
    assert [len(c.text) for c in chunks][:2] == [500, 500]
    assert chunks[-1].end == 2500


def test_chunk_text_short_and_empty() -> None:
    text = "  one line  "
    assert [c.text for c in chunk_text(text, _spans(text), 100, 10)] == ["one line"]
    assert chunk_text("", [], 100, 10) == []


def test_chunk_text_cuts_chinese_at_full_stops_with_exact_offsets() -> None:
    # No spaces anywhere; 𠮷 is outside the Basic Multilingual Plane.
    text = "".join(f"第{n}句话讲的是𠮷野家的镜像构建缓存。" for n in range(40))
    spans = [m.span() for m in re.finditer(r"[^\W\d_]|\d+|[^\w\s]", text)]
    chunks = chunk_text(text, spans, 40, 8)
    assert len(chunks) > 5
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all(c.text.endswith("。") for c in chunks[:-1])


def _overlaps_across(chunks: list[Chunk], sections: list[int]) -> bool:
    """Whether a chunk repeats text from before a section start (`\n\n` ahead of it) where
    its own new text begins at that start."""
    return any(
        chunk.start < before.end and chunk.start < s <= before.end + 2
        for before, chunk in itertools.pairwise(chunks)
        for s in sections
    )


def test_chunk_text_does_not_overlap_back_across_a_section_start() -> None:
    sections = [m.end() for m in re.finditer(r"\n\n", TEXT)]
    assert _overlaps_across(chunk_text(TEXT, _spans(TEXT), 150, 16), sections)
    chunks = chunk_text(TEXT, _spans(TEXT), 150, 16, sections)
    assert not _overlaps_across(chunks, sections)
    assert all(TEXT[c.start : c.end] == c.text for c in chunks)
