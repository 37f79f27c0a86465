"""Turning uploaded bytes into plain text. File names choose a parser, never a path.

`extract_text` is what runs inside a parser worker (`src.parsing.worker`); the service
itself calls it only through a `ParserPool`, so a hostile file costs a worker, never the
service's own memory or CPU.
"""

from __future__ import annotations

from collections.abc import Callable

from src.errors import InvalidInputError
from src.parsing.docx import parse_docx
from src.parsing.limits import ParseLimits
from src.parsing.pdf import parse_pdf
from src.parsing.text import (
    SUPPORTED_SUFFIXES,
    decode_text,
    detect_suffix,
    normalize_text,
    parse_html,
    parse_markdown,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ParseLimits",
    "decode_text",
    "detect_suffix",
    "extract_text",
    "normalize_text",
]

_PARSERS: dict[str, Callable[[bytes, ParseLimits], tuple[str, str]]] = {
    ".txt": lambda data, _: (decode_text(data), ""),
    ".md": lambda data, _: parse_markdown(data),
    ".html": lambda data, _: parse_html(data),
    ".htm": lambda data, _: parse_html(data),
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


def extract_text(data: bytes, suffix: str, limits: ParseLimits | None = None) -> tuple[str, str]:
    """(normalised text, title found in the file or ""); empty results are rejected."""
    limits = limits or ParseLimits()
    if not data:
        raise InvalidInputError("the file is empty", hint="upload a file with some text in it")
    text, title = _PARSERS[suffix](data, limits)
    limits.check_chars(len(text))
    text = normalize_text(text)
    if not text:
        raise InvalidInputError(
            "no text could be extracted from the file",
            hint="scanned PDFs need OCR first; otherwise check the file has text",
        )
    return text, title
