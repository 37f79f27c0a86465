"""PDF text, with the page count, object count and inflated stream sizes bounded before
and while pypdf works (its own limits set from ours)."""

from __future__ import annotations

import io
from typing import Any

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import ParseLimits
from src.parsing.sections import Parsed, Sections


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
        "page_tree_maximum_entries": limits.pdf_max_pages,
        "page_tree_maximum_page_entries": limits.pdf_max_pages,
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


def _extract(reader: Any, limits: ParseLimits) -> Sections:
    pages = Sections(limits)
    for number, page in enumerate(reader.pages, start=1):
        pages.add(page.extract_text() or "", {"page": number})
    return pages


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
            pages = _extract(reader, limits)
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
    return pages.parsed(title)
