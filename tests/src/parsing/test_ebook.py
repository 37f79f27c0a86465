"""EPUB e-books: chapters in reading order, each at its chapter number."""

from __future__ import annotations

import documents

from src.parsing import extract_text

CHAPTERS = [
    ("Departure", "The ship left Bergen at dawn."),
    ("Storm", "Waves broke over the bow for three days."),
    ("Landfall", "They sighted Iceland on the ninth morning."),
]


def test_extract_epub_reads_chapters_in_spine_order_with_their_numbers() -> None:
    parsed = extract_text(documents.ebook(CHAPTERS, "The Voyage"), ".epub")
    assert parsed.title == "The Voyage"
    starts = {
        place["chapter"]: parsed.text[offset:].split("\n")[0] for offset, place in parsed.marks
    }
    assert starts == {1: "Departure", 2: "Storm", 3: "Landfall"}
    assert "Waves broke over the bow" in parsed.text
