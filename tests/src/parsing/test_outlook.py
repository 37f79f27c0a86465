"""Outlook .msg: headers, body and attachments, as for .eml."""

from __future__ import annotations

from datetime import UTC, datetime

import documents
import outlook
import pytest

from src.errors import InvalidInputError, LimitExceededError
from src.parsing import extract_text

SENT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_extract_msg_reads_headers_body_and_attachments() -> None:
    report = documents.pdf_pages(["Attached quarterly figures"])
    data = outlook.message(
        "Q3 figures",
        "Please find the figures attached.",
        "Ada Lovelace <ada@example.com>",
        SENT,
        [("q3.pdf", report), ("logo.bin", b"x")],
    )
    parsed = extract_text(data, ".msg")
    assert parsed.title == "Q3 figures"
    assert "From: Ada Lovelace" in parsed.text
    assert "Date: Mon, 07 Dec 2026 09:30:00 +0000" in parsed.text
    assert "Please find the figures attached." in parsed.text
    assert "Attachments: q3.pdf, logo.bin" in parsed.text
    assert [(a.filename, a.data) for a in parsed.attachments] == [("q3.pdf", report)]


def test_extract_msg_with_too_many_attachments_is_refused() -> None:
    files = [(f"n{i}.txt", b"hi") for i in range(1_000)]
    data = outlook.message("Bulk", "Many files", "A <a@example.com>", SENT, files)
    with pytest.raises(LimitExceededError, match="more than 100 MIME parts"):
        extract_text(data, ".msg")


def test_extract_msg_that_is_another_compound_file_is_refused() -> None:
    data = outlook.message("x", "y", "A <a@example.com>", SENT).replace(
        "IPM.Note".encode("utf-16-le"), "IPM.Nope".encode("utf-16-le")
    )
    assert extract_text(data, ".msg").title == "x"  # the class is only checked to exist
    with pytest.raises(InvalidInputError, match="corrupt or unreadable"):
        extract_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".msg")
