from __future__ import annotations

import pytest

from src.errors import InvalidInputError, LimitExceededError
from src.ingest import clean_label, display_name
from src.parsing import ParseLimits, decode_text, extract_text, normalize_text


def test_extract_html_drops_scripts_and_keeps_blocks() -> None:
    html = (
        b"<html><head><title> T </title><style>p{}</style></head><body><h1>Head</h1>"
        b"<p>One &amp; two</p><script>alert(1)</script><p>Three</p></body></html>"
    )
    parsed = extract_text(html, ".html")
    text, title = parsed.text, parsed.title
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


def test_clean_label_strips_bidi_and_control_characters() -> None:
    assert clean_label("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_label("a\u2066b\u2069c\u200fd\x85e\x1bf") == "abcdef"
    assert display_name("../x/evil\u202etxt.exe") == "eviltxt.exe"


def test_normalize_text_replaces_lone_surrogates() -> None:
    assert normalize_text("a\ud800b") == "a\ufffdb"


def test_extract_text_over_char_limit_is_refused() -> None:
    limits = ParseLimits(max_chars=1_000)
    assert extract_text(b"x" * 1_000, ".txt", limits).text == "x" * 1_000
    with pytest.raises(LimitExceededError, match="limit of 1,000 characters"):
        extract_text(b"x" * 1_001, ".txt", limits)
