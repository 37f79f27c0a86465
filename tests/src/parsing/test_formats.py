"""Which parser an upload gets: its name or content type, checked against its content."""

from __future__ import annotations

import documents
import pytest

from src.errors import UnsupportedTypeError
from src.parsing import detect_suffix

PDF = documents.pdf_pages(["Walrus census"])
DECK = documents.deck([("Otters", "They hold hands", "")])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content_type", "data", "suffix"),
    [
        ("notes.TXT", "", b"plain", ".txt"),
        ("a/b/readme.md", "", b"# Title", ".md"),
        ("page.htm", "", b"<p>hi</p>", ".htm"),
        ("report.pdf", "application/octet-stream", PDF, ".pdf"),
        ("", "text/markdown", b"# Title", ".md"),
        ("upload", "application/pdf; charset=binary", PDF, ".pdf"),
        ("talk.pptx", "", DECK, ".pptx"),
        ("rows.csv", "", b"a,b\n1,2\n", ".csv"),
        ("", "application/x-ndjson", b'{"a": 1}\n', ".jsonl"),
    ],
)
def test_detect_suffix_by_name_then_type(
    name: str, content_type: str, data: bytes, suffix: str
) -> None:
    assert detect_suffix(name, content_type, data) == suffix


@pytest.mark.parametrize(("data", "suffix"), [(PDF, ".pdf"), (b"just words", ".txt")])
def test_detect_suffix_without_name_or_type_reads_the_content(data: bytes, suffix: str) -> None:
    assert detect_suffix("upload", "application/octet-stream", data) == suffix


def test_detect_suffix_rejects_unknown_extension_even_with_known_type() -> None:
    with pytest.raises(UnsupportedTypeError, match=r"'\.zip'"):
        detect_suffix("archive.zip", "text/plain", b"PK\x03\x04")


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("report.pdf", DECK, "a zip package"),
        ("notes.txt", PDF, "a PDF"),
        ("slides.pptx", PDF, "a PDF"),
        ("scan.pdf", PNG, "a PNG image"),
        ("data.csv", b"\x00\x01\x02binary", "binary data"),
    ],
)
def test_detect_suffix_refuses_a_file_whose_content_is_not_its_type(
    name: str, data: bytes, said: str
) -> None:
    with pytest.raises(UnsupportedTypeError, match=f"declared .* but its content is {said}"):
        detect_suffix(name, "", data)


def test_detect_suffix_refuses_an_unnamed_zip_it_cannot_tell() -> None:
    with pytest.raises(UnsupportedTypeError, match="zip package"):
        detect_suffix("upload", "application/octet-stream", DECK)
