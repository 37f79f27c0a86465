"""Scans and photos read by OCR (Tesseract), bounded before any pixel is decoded."""

from __future__ import annotations

import documents
import hostile
import pytest
from helpers import require

from src.errors import InvalidInputError, LimitExceededError, UnsupportedTypeError
from src.parsing import ParseLimits, extract_text
from src.parsing.ocr import ocr_unavailable

LINES = ["The lighthouse keeper lit the lamp at dusk.", "Ferries leave from pier nine at 9:30."]


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    require(not ocr_unavailable(ParseLimits()), "tesseract-ocr is not installed")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_extract_image_reads_printed_lines(fmt: str) -> None:
    suffix = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tiff", "WEBP": ".webp"}[fmt]
    parsed = extract_text(documents.scan(LINES, fmt=fmt), suffix)
    assert parsed.text == "\n\n".join(LINES)
    assert parsed.marks == []


def test_extract_scanned_pdf_reads_each_page_at_its_number() -> None:
    pages = [["Cover of the survey."], ["Otters hold hands while they sleep."]]
    parsed = extract_text(documents.scanned_pdf(pages), ".pdf")
    assert parsed.text == "Cover of the survey.\n\nOtters hold hands while they sleep."
    assert parsed.marks == [(0, {"page": 1}), (22, {"page": 2})]


def test_extract_image_over_pixel_limit_is_refused_from_its_header() -> None:
    with pytest.raises(LimitExceededError, match=r"30,000 x 30,000 pixels is over the limit"):
        extract_text(hostile.png_header(30_000, 30_000), ".png")


def test_extract_scanned_pdf_over_ocr_page_limit_is_refused() -> None:
    pages = [[f"Page {n}."] for n in range(4)]
    with pytest.raises(LimitExceededError, match="4 pages to read by OCR; the limit is 3"):
        extract_text(documents.scanned_pdf(pages), ".pdf", ParseLimits(ocr_max_pages=3))


def test_extract_image_with_ocr_off_is_unsupported() -> None:
    with pytest.raises(UnsupportedTypeError, match="RAG_OCR=off"):
        extract_text(documents.scan(LINES), ".png", ParseLimits(ocr=False))


def test_extract_scanned_pdf_with_ocr_off_says_why_it_has_no_text() -> None:
    with pytest.raises(InvalidInputError, match="no text could be extracted") as raised:
        extract_text(documents.scanned_pdf([["A page."]]), ".pdf", ParseLimits(ocr=False))
    assert "RAG_OCR=off" in raised.value.hint


def test_extract_corrupt_image_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="image is corrupt"):
        extract_text(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, ".png")


def test_extract_scanned_pdf_past_its_ocr_cpu_budget_is_refused() -> None:
    pages = [["First page."], ["Second page."]]
    with pytest.raises(LimitExceededError, match="more than its 0 s CPU limit"):
        extract_text(documents.scanned_pdf(pages), ".pdf", ParseLimits(ocr_seconds=0))
