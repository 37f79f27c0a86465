from __future__ import annotations

import itertools

import pytest

from src.chunking import chunk_text

TEXT = "\n\n".join(
    f"Paragraph {p}. " + " ".join(f"Sentence {p}.{s} has several plain words." for s in range(9))
    for p in range(12)
)


@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (500, 80), (1000, 150), (5000, 300)])
def test_chunk_text_bounds_and_offsets(size: int, overlap: int) -> None:
    chunks = chunk_text(TEXT, size, overlap)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= size for c in chunks)
    assert all(TEXT[c.start : c.end] == c.text for c in chunks)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(TEXT) if not ch.isspace())


def test_chunk_text_overlaps_and_prefers_boundaries() -> None:
    chunks = chunk_text(TEXT, 500, 80)
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))
    assert all(c.text.endswith(".") for c in chunks[:-1])


def test_chunk_text_without_spaces_still_splits() -> None:
    chunks = chunk_text("x" * 2500, 1000, 100)
    assert [len(c.text) for c in chunks][:2] == [1000, 1000]
    assert "".join(c.text for c in chunks).count("x") >= 2500


def test_chunk_text_short_and_empty() -> None:
    assert [c.text for c in chunk_text("  one line  ", 100, 10)] == ["one line"]
    assert chunk_text("", 100, 10) == []
