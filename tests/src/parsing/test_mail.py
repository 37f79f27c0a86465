"""E-mail: headers and body as text; supported attachments handed back as files."""

from __future__ import annotations

import documents
import pytest

from src.errors import InvalidInputError, LimitExceededError
from src.parsing import extract_text


def test_extract_eml_reads_headers_body_and_lists_attachments() -> None:
    report = documents.pdf_pages(["Attached quarterly figures"])
    data = documents.mail(
        "Q3 figures", "Please find the figures attached.", [("q3.pdf", report), ("logo.bin", b"x")]
    )
    parsed = extract_text(data, ".eml")
    assert parsed.title == "Q3 figures"
    assert "From: Ada Lovelace <ada@example.com>" in parsed.text
    assert "Please find the figures attached." in parsed.text
    assert "Attachments: q3.pdf, logo.bin" in parsed.text
    assert [(a.filename, a.data) for a in parsed.attachments] == [("q3.pdf", report)]


def test_extract_eml_with_too_many_parts_is_refused() -> None:
    many = [(f"note{i}.txt", b"hello") for i in range(1_000)]
    with pytest.raises(LimitExceededError, match="more than 100 MIME parts"):
        extract_text(documents.mail("Bulk", "Many files", many), ".eml")


def test_extract_eml_that_is_not_mail_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not an e-mail message"):
        extract_text(b"just some words\n", ".eml")
