"""PowerPoint decks: each slide's text and notes at its slide number, in order."""

from __future__ import annotations

import documents
import hostile
import pytest

from src.errors import LimitExceededError
from src.parsing import extract_text

SLIDES = [
    ("Quarterly review", "Revenue grew in the north", "Mention the new office"),
    ("Hiring", "Two engineers joined", ""),
    ("Risks", "Supplier delays in March", "Ask finance about the buffer"),
]


def test_extract_pptx_reads_each_slide_with_its_notes_in_order() -> None:
    parsed = extract_text(documents.deck(SLIDES, title="Q3 deck"), ".pptx")
    assert parsed.title == "Q3 deck"
    assert parsed.text.index("Quarterly review") < parsed.text.index("Hiring")
    assert parsed.text.index("Hiring") < parsed.text.index("Risks")
    assert "Notes: Mention the new office" in parsed.text
    assert "Notes: Ask finance about the buffer" in parsed.text


def test_extract_pptx_marks_each_slide() -> None:
    parsed = extract_text(documents.deck(SLIDES), ".pptx")
    places = {place["slide"]: parsed.text[offset:].split("\n")[0] for offset, place in parsed.marks}
    assert places == {1: "Quarterly review", 2: "Hiring", 3: "Risks"}


def test_extract_pptx_zip_bomb_is_refused() -> None:
    bomb = hostile.zip_bomb({"ppt/presentation.xml": b"<p/>"}, "ppt/slides/slide1.xml")
    with pytest.raises(LimitExceededError, match="inflates to more than 256 MB"):
        extract_text(bomb, ".pptx")
