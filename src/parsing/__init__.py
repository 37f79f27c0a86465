"""Turning uploaded bytes into plain text. File names choose a parser, never a path.

`extract_text` is what runs inside a parser worker (`src.parsing.worker`); the service
itself calls it only through a `ParserPool`, so a hostile file costs a worker, never the
service's own memory or CPU.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from src.errors import InvalidInputError
from src.formats import FORMATS, SUPPORTED_SUFFIXES, detect_suffix
from src.parsing.delimited import parse_csv
from src.parsing.docx import parse_docx
from src.parsing.ebook import parse_epub
from src.parsing.images import parse_image
from src.parsing.limits import ParseLimits
from src.parsing.mail import parse_eml
from src.parsing.ocr import PAGE_PROGRESS, PageProgress, ocr_unavailable
from src.parsing.opendocument import parse_odt
from src.parsing.outlook import parse_msg
from src.parsing.pdf import parse_pdf
from src.parsing.sections import Attachment, Parsed, whole
from src.parsing.slides import parse_pptx
from src.parsing.spreadsheet import parse_xlsx
from src.parsing.structured import parse_json, parse_jsonl
from src.parsing.text import decode_text, normalize_text, parse_markdown
from src.parsing.webpage import read_html

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "Attachment",
    "ParseLimits",
    "Parsed",
    "decode_text",
    "detect_suffix",
    "extract_text",
    "normalize_text",
]

_PARSERS: dict[str, Callable[[bytes, ParseLimits], Parsed]] = {
    ".txt": lambda data, limits: whole(decode_text(data), "", limits),
    ".md": lambda data, limits: whole(*parse_markdown(data), limits),
    ".html": lambda data, limits: whole(*read_html(data, limits.web_page), limits),
    ".htm": lambda data, limits: whole(*read_html(data, limits.web_page), limits),
    ".pdf": parse_pdf,
    ".docx": lambda data, limits: whole(*parse_docx(data, limits), limits),
    ".pptx": parse_pptx,
    ".xlsx": parse_xlsx,
    ".csv": parse_csv,
    ".epub": parse_epub,
    ".odt": parse_odt,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
    ".eml": parse_eml,
    ".msg": parse_msg,
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"), parse_image),
}


def extract_text(
    data: bytes,
    suffix: str,
    limits: ParseLimits | None = None,
    *,
    defer_ocr: bool = False,
    on_page: PageProgress | None = None,
    web_page: bool = False,
) -> Parsed:
    """The normalised text, the title found in the file ("" if none) and where each place
    in the source begins; empty results are rejected. `defer_ocr`: count the pages OCR
    would read instead of reading them (Parsed.unread_pages); `on_page`: told of each page
    OCR reads (pages read, pages to read); `web_page`: HTML is a web page, read for its
    main text."""
    limits = dataclasses.replace(limits or ParseLimits(), defer_ocr=defer_ocr, web_page=web_page)
    told = PAGE_PROGRESS.set(on_page) if on_page is not None else None
    try:
        return _extract(data, suffix, limits)
    finally:
        if told is not None:
            PAGE_PROGRESS.reset(told)


def _extract(data: bytes, suffix: str, limits: ParseLimits) -> Parsed:
    if not data:
        raise InvalidInputError("the file is empty", hint="upload a file with some text in it")
    parsed = _PARSERS[suffix](data, limits)
    if not parsed.text and not parsed.unread_pages:
        why = ocr_unavailable(limits)
        raise InvalidInputError(
            "no text could be extracted from the file",
            hint=f"a scan is read by OCR, but {why}" if why else "check the file has text",
        )
    return parsed
