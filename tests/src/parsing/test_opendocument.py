from __future__ import annotations

import documents

from src.parsing import extract_text


def test_extract_odt_reads_paragraphs_and_title() -> None:
    parsed = extract_text(
        documents.odt(["Minutes of the board.", "Budget approved."], "Board"), ".odt"
    )
    assert (parsed.text, parsed.title) == ("Minutes of the board.\n\nBudget approved.", "Board")
