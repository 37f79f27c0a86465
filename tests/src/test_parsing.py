from __future__ import annotations

import pytest

from src.errors import InvalidInputError, UnsupportedTypeError
from src.ingest import display_name
from src.parsing import decode_text, detect_suffix, extract_text


@pytest.mark.parametrize(
    ("name", "content_type", "suffix"),
    [
        ("notes.TXT", "", ".txt"),
        ("a/b/readme.md", "", ".md"),
        ("page.htm", "", ".htm"),
        ("report.pdf", "application/octet-stream", ".pdf"),
        ("", "text/markdown", ".md"),
        ("upload", "application/pdf; charset=binary", ".pdf"),
    ],
)
def test_detect_suffix_by_name_then_type(name: str, content_type: str, suffix: str) -> None:
    assert detect_suffix(name, content_type) == suffix


def test_detect_suffix_rejects_unknown_extension_even_with_known_type() -> None:
    with pytest.raises(UnsupportedTypeError, match=r"'\.zip'"):
        detect_suffix("archive.zip", "text/plain")


def test_extract_html_drops_scripts_and_keeps_blocks() -> None:
    html = (
        b"<html><head><title> T </title><style>p{}</style></head><body><h1>Head</h1>"
        b"<p>One &amp; two</p><script>alert(1)</script><p>Three</p></body></html>"
    )
    text, title = extract_text(html, ".html")
    assert title == "T"
    assert text == "Head\n\nOne & two\n\nThree"


def test_decode_text_handles_bom_and_utf16() -> None:
    assert decode_text("\ufeffhello".encode()) == "hello"
    assert decode_text("héllo".encode("utf-16")) == "héllo"
    with pytest.raises(InvalidInputError, match="offset 3"):
        decode_text(b"abc\xff")


def test_display_name_strips_directories_and_control_characters() -> None:
    assert display_name("../../etc/pass\x07wd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\me\\doc.md") == "doc.md"
