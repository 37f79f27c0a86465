"""PDFs are bounded by what they declare and by what they inflate to."""

from __future__ import annotations

import documents
import hostile
import pytest

from src.errors import LimitExceededError
from src.parsing import ParseLimits, extract_text


def test_extract_pdf_returns_its_text() -> None:
    text = extract_text(hostile.pdf_text("Otters hold hands"), ".pdf").text
    assert "Otters hold hands" in text


def test_extract_pdf_flate_bomb_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="over a parsing limit"):
        extract_text(hostile.pdf_flate_bomb(300), ".pdf")


def test_extract_pdf_declaring_too_many_pages_is_refused_at_once() -> None:
    with pytest.raises(LimitExceededError, match="declares 99,000 pages; the limit is 5,000"):
        extract_text(hostile.pdf_declared_pages(99_000), ".pdf")


def test_extract_pdf_shared_page_tree_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="page"):
        extract_text(hostile.pdf_shared_page_tree(), ".pdf")


def test_extract_pdf_declaring_too_many_objects_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="declares 50,000,000 objects"):
        extract_text(hostile.pdf_declared_objects(), ".pdf")


def test_extract_pdf_over_char_limit_stops_early() -> None:
    with pytest.raises(LimitExceededError, match="limit of 1,000 characters"):
        extract_text(hostile.pdf_text("x" * 2_000), ".pdf", ParseLimits(max_chars=1_000))


def test_extract_pdf_marks_where_each_page_begins() -> None:
    parsed = extract_text(documents.pdf_pages(["Walrus intro", "", "Otter census"]), ".pdf")
    assert parsed.text == "Walrus intro\n\nOtter census"
    assert parsed.marks == [(0, {"page": 1}), (14, {"page": 3})]


def test_extract_pdf_of_over_a_thousand_pages_is_read() -> None:
    # Page dictionaries have several entries each: the page-tree limits count those too.
    parsed = extract_text(documents.pdf_pages([f"Page {n}" for n in range(1, 1_201)]), ".pdf")
    assert parsed.marks[-1] == (parsed.text.rindex("Page 1200"), {"page": 1200})
