"""The bounds every parse runs under, passed from the settings to the parser workers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from src.errors import LimitExceededError

MB = 1024 * 1024


def check_document_chars(count: int, limit: int) -> None:
    """One document's text, parsed or sent as JSON, is at most RAG_MAX_DOCUMENT_CHARS."""
    if count > limit:
        raise LimitExceededError(
            f"the text is over the limit of {limit:,} characters",
            hint="split the document, or raise RAG_MAX_DOCUMENT_CHARS",
        )


@dataclass(frozen=True)
class ParseLimits:
    max_chars: int = 5_000_000
    max_inflated_bytes: int = 256 * MB
    max_compression_ratio: int = 100
    pdf_max_pages: int = 5_000
    pdf_max_objects: int = 1_000_000
    table_max_rows: int = 200_000
    table_max_columns: int = 1_000
    table_max_cell_chars: int = 32_767  # Excel's own limit
    mail_max_parts: int = 100
    ocr: bool = True
    ocr_languages: str = "eng+chi_sim"
    ocr_max_pixels: int = 64_000_000  # an A4 page at 600 dpi is 35 million
    ocr_max_pages: int = 100
    ocr_page_seconds: int = 60
    ocr_seconds: int = 600
    # Leave the pages OCR would read unread, and count them (Parsed.unread_pages): the
    # service reads such a file in a background job instead of while the upload waits.
    defer_ocr: bool = False
    # HTML is a web page: its main text only, without menus, footers and other boilerplate.
    web_page: bool = False
    memory_mb: int = 1024
    cpu_seconds: int = 60

    def wall_seconds(self, with_ocr: bool) -> int:
        """How long one parse may take by the clock: its CPU time twice over (a busy
        machine), plus OCR's for a file OCR may read, plus room to start; past it the
        worker is killed."""
        ocr = self.ocr_seconds if with_ocr and self.ocr else 0
        return (self.cpu_seconds + ocr) * 2 + 10

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> ParseLimits:
        return cls(**json.loads(raw))

    def check_chars(self, count: int) -> None:
        check_document_chars(count, self.max_chars)

    def check_inflated(self, count: int, what: str) -> None:
        if count > self.max_inflated_bytes:
            raise LimitExceededError(
                f"{what} inflates to more than {self.max_inflated_bytes // MB} MB",
                hint="this looks like a decompression bomb; or raise RAG_PARSE_MAX_INFLATED_MB",
            )

    def check_count(self, count: int, limit: int, what: str, setting: str = "") -> None:
        """A count the file has (rows, columns, parts) within its limit (`setting` names
        the variable that raises it; none for a fixed limit)."""
        if count > limit:
            raise LimitExceededError(
                f"the file has more than {limit:,} {what}",
                hint=f"split the file, or raise {setting}" if setting else "split the file",
            )
