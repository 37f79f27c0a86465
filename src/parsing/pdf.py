"""PDF text, with the page count, object count and inflated stream sizes bounded before
and while pypdf works (its own limits set from ours). A page without a text layer (a scan)
is read by OCR from its largest image, within the OCR limits (src/parsing/ocr.py)."""

from __future__ import annotations

import io
from typing import Any

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import ParseLimits
from src.parsing.ocr import PageReader, check_pages, check_pixels, ocr_unavailable
from src.parsing.sections import Parsed, Sections

_ENTRIES_PER_PAGE = 50


def _configuration(limits: ParseLimits) -> dict[str, Any]:
    inflated = limits.max_inflated_bytes
    return {
        "maximum_declared_stream_length": inflated,
        "array_based_stream_maximum_output_length": inflated,
        "jbig2_maximum_output_length": inflated,
        "lzw_maximum_output_length": inflated,
        "run_length_maximum_output_length": inflated,
        "zlib_maximum_output_length": inflated,
        "brotli_maximum_output_length": inflated,
        "image_maximum_buffer_size": inflated,
        "stream_decoding_work_maximum_length": inflated,
        # Kids of the page tree's nodes (pages and the nodes above them), and the entries of
        # the page dictionaries themselves (a page has about 5 to 15).
        "page_tree_maximum_entries": limits.pdf_max_pages * 2,
        "page_tree_maximum_page_entries": limits.pdf_max_pages * _ENTRIES_PER_PAGE,
    }


def _check_declared(reader: Any, limits: ParseLimits) -> None:
    """Refuse on what the file declares, before any page is walked or decoded."""
    objects = int(reader.trailer["/Size"]) if "/Size" in reader.trailer else 0
    if objects > limits.pdf_max_objects:
        raise LimitExceededError(
            f"the PDF declares {objects:,} objects; the limit is {limits.pdf_max_objects:,}",
            hint="split the PDF, or raise RAG_PDF_MAX_OBJECTS",
        )
    tree = reader.root_object["/Pages"]
    pages = int(tree["/Count"]) if "/Count" in tree else 0
    if pages > limits.pdf_max_pages:
        raise LimitExceededError(
            f"the PDF declares {pages:,} pages; the limit is {limits.pdf_max_pages:,}",
            hint="split the PDF, or raise RAG_PDF_MAX_PAGES",
        )


def _text_layers(reader: Any, limits: ParseLimits) -> list[str]:
    texts: list[str] = []
    total = 0
    for page in reader.pages:
        texts.append(page.extract_text() or "")
        total += len(texts[-1])
        limits.check_chars(total)
    return texts


def _largest_image(page: Any, limits: ParseLimits) -> Any:
    """The page's largest image (a scan's page), checked by its declared size before it is
    decoded; None if the page has none."""
    resources = page.get("/Resources")
    objects = resources.get_object().get("/XObject") if resources is not None else None
    if objects is None:
        return None
    sizes = {}
    for name, reference in objects.get_object().items():
        image = reference.get_object()
        if image.get("/Subtype") == "/Image":
            width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
            check_pixels(width, height, limits)
            sizes[name] = width * height
    if not sizes:
        return None
    return page.images[max(sizes, key=sizes.__getitem__)].image


def _read_scans(reader: Any, texts: list[str], limits: ParseLimits) -> int:
    """Fill in each page without a text layer with its image's text, by OCR; the number
    of pages left for OCR (all of them when it is deferred)."""
    blank = [index for index, text in enumerate(texts) if not text.strip()]
    if not blank or ocr_unavailable(limits):
        return 0
    check_pages(len(blank), limits)
    if limits.defer_ocr:
        return len(blank)
    pages = PageReader(limits, len(blank))
    for index in blank:
        image = _largest_image(reader.pages[index], limits)
        if image is not None:
            texts[index] = pages.read(image)
    return 0


def _extract(reader: Any, limits: ParseLimits) -> tuple[Sections, int]:
    texts = _text_layers(reader, limits)
    unread = _read_scans(reader, texts, limits)
    pages = Sections(limits)
    for number, text in enumerate(texts, start=1):
        pages.add(text, {"page": number})
    return pages, unread


def parse_pdf(data: bytes, limits: ParseLimits) -> Parsed:
    """The text of each page, at its page number (1-based, as a reader counts)."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        with apply_configuration(**_configuration(limits)):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise InvalidInputError("the PDF is encrypted", hint="upload an unencrypted copy")
            _check_declared(reader, limits)
            pages, unread = _extract(reader, limits)
            title = str(reader.metadata.title or "") if reader.metadata else ""
    except InvalidInputError:
        raise
    except LimitReachedError as exc:
        raise LimitExceededError(
            f"the PDF is over a parsing limit: {exc}",
            hint="this looks like a decompression or page-tree bomb; split or re-save the PDF",
        ) from exc
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OSError,
        RecursionError,
    ) as exc:
        raise InvalidInputError(
            f"the PDF is corrupt or unreadable: {exc}",
            hint="open and re-save the PDF, or upload its text instead",
        ) from exc
    return pages.parsed(title, unread=unread)
