"""Web pages read for their main text; uploaded HTML files read whole, as before."""

from __future__ import annotations

from web_server import article

from src.parsing.webpage import read_html

PAGE = article("Leave policy", ["Twenty-five days of leave a year.", "Ask two weeks ahead."])


def test_read_html_of_a_web_page_keeps_the_article_only() -> None:
    text, title = read_html(PAGE, web_page=True)
    assert title == "Leave policy"
    assert "Twenty-five days of leave a year." in text and "Ask two weeks ahead." in text
    for boilerplate in ("Sign in", "Canteen menu", "Cookie settings", "Copyright"):
        assert boilerplate not in text


def test_read_html_of_an_uploaded_file_keeps_every_part() -> None:
    text, title = read_html(PAGE, web_page=False)
    assert "Canteen menu" in text and "Twenty-five days" in text
    assert title == "Leave policy | Acme Wiki"


def test_read_html_of_a_page_without_main_text_falls_back_to_the_whole_text() -> None:
    text, _ = read_html(b"<html><body><ul><li>a</li><li>b</li></ul></body></html>", True)
    assert "a" in text and "b" in text
