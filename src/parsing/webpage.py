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
    from trafilatura.settings import use_config

    config = use_config()
    # Its defaults are a web crawler's: a page whose main text is under 250 characters is
    # taken whole, menus and all. A team's short pages are pages too. (Its deduplication
    # stays off: it remembers paragraphs across pages, and would cut one page's text for
    # having been seen in another's.)
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    html = decode_text(data)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, deduplicate=False, config=config
    )
    if not text:
        return parse_html(data)
    found = trafilatura.extract_metadata(html)
    title = (found.title or "") if found is not None else ""
    return text, title or parse_html(data)[1]
