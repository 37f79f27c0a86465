"""A web page's main text: the article, without the menus, sidebars, cookie banners and
footers around it (trafilatura, whose extraction is the one the web-corpus literature
measures best among open tools), falling back to the whole page's text when it finds no
main part (a page that is all list, say)."""

from __future__ import annotations

from src.parsing.text import decode_text, parse_html


def read_html(data: bytes, web_page: bool) -> tuple[str, str]:
    """(text, title) of an HTML file; of a web page, its main text (see above)."""
    if not web_page:
        return parse_html(data)
    # Imported here: only parser workers reading a fetched page load it.
    import trafilatura

    html = decode_text(data)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, deduplicate=True, fast=False
    )
    if not text:
        return parse_html(data)
    found = trafilatura.extract_metadata(html)
    title = (found.title or "") if found is not None else ""
    return text, title or parse_html(data)[1]
