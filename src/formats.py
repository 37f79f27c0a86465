"""The file types rag-api reads, and which one an upload is: by its name, then its declared
content type, checked against what its first bytes say it is (a file that lies about its
type is refused before any parser sees it)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import NamedTuple

from src.errors import UnsupportedTypeError


class Format(NamedTuple):
    media_type: str
    family: str  # what its bytes look like: text, pdf, zip


_OFFICE = "application/vnd.openxmlformats-officedocument"
FORMATS: dict[str, Format] = {
    ".txt": Format("text/plain", "text"),
    ".md": Format("text/markdown", "text"),
    ".html": Format("text/html", "text"),
    ".htm": Format("text/html", "text"),
    ".csv": Format("text/csv", "text"),
    ".json": Format("application/json", "text"),
    ".jsonl": Format("application/jsonl", "text"),
    ".eml": Format("message/rfc822", "text"),
    ".msg": Format("application/vnd.ms-outlook", "ole"),
    ".pdf": Format("application/pdf", "pdf"),
    ".docx": Format(f"{_OFFICE}.wordprocessingml.document", "zip"),
    ".pptx": Format(f"{_OFFICE}.presentationml.presentation", "zip"),
    ".xlsx": Format(f"{_OFFICE}.spreadsheetml.sheet", "zip"),
    ".epub": Format("application/epub+zip", "zip"),
    ".odt": Format("application/vnd.oasis.opendocument.text", "zip"),
    ".png": Format("image/png", "image"),
    ".jpg": Format("image/jpeg", "image"),
    ".jpeg": Format("image/jpeg", "image"),
    ".tif": Format("image/tiff", "image"),
    ".tiff": Format("image/tiff", "image"),
    ".webp": Format("image/webp", "image"),
}
SUPPORTED_SUFFIXES = tuple(FORMATS)
OCR_FAMILIES = frozenset({"pdf", "image"})  # what OCR may read: its parse may take longer
_BY_MEDIA_TYPE = {f.media_type: suffix for suffix, f in reversed(FORMATS.items())}
_BY_MEDIA_TYPE["application/x-ndjson"] = ".jsonl"

# What a file's first bytes say it is: (signature, offset, family, as a reader would say it).
_SIGNATURES = (
    (b"PK\x03\x04", 0, "zip", "a zip package (an Office file, an e-book or an archive)"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        0,
        "ole",
        "a legacy Office file (.doc, .xls, .ppt, .msg)",
    ),
    (b"\x89PNG\r\n\x1a\n", 0, "image", "a PNG image"),
    (b"\xff\xd8\xff", 0, "image", "a JPEG image"),
    (b"II*\x00", 0, "image", "a TIFF image"),
    (b"MM\x00*", 0, "image", "a TIFF image"),
    (b"GIF8", 0, "image", "a GIF image"),
    (b"WEBP", 8, "image", "a WebP image"),
    (b"\x1f\x8b", 0, "gzip", "a gzip archive"),
)
# What an upload with no name or type is taken for, by its content alone.
_BY_FAMILY = {"pdf": ".pdf", "text": ".txt", "image": ".png"}
_PDF_WITHIN = 1024  # readers accept junk before the header, up to about this far
_TEXT_SAMPLE = 8192


def content_family(data: bytes) -> tuple[str, str]:
    """(family, description) of a file from its first bytes."""
    if b"%PDF-" in data[:_PDF_WITHIN]:
        return "pdf", "a PDF"
    for signature, offset, family, described in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return family, described
    head = data[:_TEXT_SAMPLE]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary", "binary data"
    return "text", "text"


def suffix_of_media_type(content_type: str) -> str:
    """The suffix of a declared content type ("text/html; charset=utf-8": .html), or ""."""
    return _BY_MEDIA_TYPE.get(content_type.split(";")[0].strip().lower(), "")


def named_suffix(filename: str | None) -> str:
    return PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()


def _unsupported(shown: str) -> UnsupportedTypeError:
    return UnsupportedTypeError(
        f"unsupported file type {shown!r}",
        hint=f"upload one of: {', '.join(SUPPORTED_SUFFIXES)}",
    )


def _declared(filename: str | None, content_type: str | None) -> str:
    suffix = named_suffix(filename)
    if suffix in FORMATS:
        return suffix
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not suffix and media_type in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[media_type]
    if suffix:
        raise _unsupported(suffix)
    return ""


def detect_suffix(filename: str | None, content_type: str | None, data: bytes = b"") -> str:
    """The parser key for an upload: the type its name (or else its content type) declares,
    which its content must agree with; with neither, what its content shows, if that is
    unambiguous (a PDF, plain text)."""
    declared = _declared(filename, content_type)
    family, described = content_family(data)
    if not declared:
        if family in _BY_FAMILY:
            return _BY_FAMILY[family]
        raise _unsupported(described if family != "binary" else content_type or "unknown")
    if data and FORMATS[declared].family != family:
        raise UnsupportedTypeError(
            f"the file is declared {declared} but its content is {described}",
            hint="upload it under the extension of what it really is",
        )
    return declared
