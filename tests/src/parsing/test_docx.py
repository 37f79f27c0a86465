"""Word files are read in a stream, and every hostile shape is refused before it costs."""

from __future__ import annotations

import documents
import hostile
import pytest

from src.errors import InvalidInputError, LimitExceededError
from src.parsing import ParseLimits, extract_text
from src.parsing.limits import MB


def test_extract_docx_keeps_paragraphs_and_tables_in_order() -> None:
    table = (
        b"<w:tbl><w:tr><w:tc>"
        + hostile.paragraph("a")
        + b"</w:tc><w:tc>"
        + hostile.paragraph("b")
        + b"</w:tc></w:tr></w:tbl>"
    )
    body = hostile.paragraph("First.") + table + hostile.paragraph("Last.")
    parsed = extract_text(hostile.docx(hostile.word_xml(body), title="Otters"), ".docx")
    text, title = parsed.text, parsed.title
    assert text == "First.\n\na | b\n\nLast."
    assert title == "Otters"


def test_extract_docx_zip_bomb_is_refused_by_ratio() -> None:
    with pytest.raises(LimitExceededError, match=r"inflates \d+:1; the limit is 100:1"):
        extract_text(hostile.docx_zip_bomb(), ".docx")


def test_extract_docx_over_inflated_limit_is_refused() -> None:
    data = hostile.docx(hostile.word_xml(hostile.paragraph("x" * 100) * 30_000), compress=False)
    with pytest.raises(LimitExceededError, match="inflates to more than 1 MB"):
        extract_text(data, ".docx", ParseLimits(max_inflated_bytes=MB))


def test_extract_docx_entity_bomb_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="declares a DTD"):
        extract_text(hostile.docx_entity_bomb(), ".docx")


def test_extract_docx_deep_nesting_hits_parser_limit() -> None:
    with pytest.raises(LimitExceededError, match="nesting depth 256"):
        extract_text(hostile.docx_deep(), ".docx")


def test_extract_docx_huge_text_node_hits_parser_limit() -> None:
    with pytest.raises(LimitExceededError, match="text node 10 MB"):
        extract_text(hostile.docx_text_node(12), ".docx")


def test_extract_docx_without_body_is_not_a_docx() -> None:
    with pytest.raises(InvalidInputError, match=r"named \.docx but is a zip archive of no"):
        extract_text(
            hostile.docx(b"<x/>").replace(b"word/document.xml", b"word/other_xx.xml"), ".docx"
        )


def test_extract_docx_that_is_really_a_deck_names_what_it_is() -> None:
    deck = documents.package({"ppt/presentation.xml": b"<p/>"})
    with pytest.raises(InvalidInputError, match=r"named \.docx but is a \.pptx file"):
        extract_text(deck, ".docx")
