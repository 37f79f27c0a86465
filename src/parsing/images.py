"""Images (.png .jpg .jpeg .tif .tiff .webp): their text, read by OCR (src/parsing/ocr.py).
The header is read first: pixel count and, for a multi-page TIFF, page count are checked
before any pixel is decoded. A multi-page TIFF's pages are places (`page`)."""

from __future__ import annotations

import io

from PIL import Image, ImageSequence, UnidentifiedImageError

from src.errors import InvalidInputError, UnsupportedTypeError
from src.parsing.limits import ParseLimits
from src.parsing.ocr import PageReader, check_pages, check_pixels, ocr_unavailable
from src.parsing.sections import Parsed, Sections


def _opened(data: bytes, limits: ParseLimits) -> Image.Image:
    # Opening reads the header only; ours is the pixel check (below, before any decoding), so
    # Pillow's own (a warning, then an error at a fixed size) is off.
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInputError(
            f"the image is corrupt or unreadable: {exc}", hint="open and re-save the image"
        ) from exc
    check_pixels(image.width, image.height, limits)
    return image


def parse_image(data: bytes, limits: ParseLimits) -> Parsed:
    if why := ocr_unavailable(limits):
        raise UnsupportedTypeError(f"images are read by OCR: {why}", hint="upload the text instead")
    image = _opened(data, limits)
    pages = getattr(image, "n_frames", 1)
    check_pages(pages, limits)
    sections = Sections(limits)
    if limits.defer_ocr:
        return sections.parsed(unread=pages)
    reader = PageReader(limits, pages)
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            check_pixels(frame.width, frame.height, limits)
            sections.add(reader.read(frame), {"page": number} if pages > 1 else None)
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow's decoding errors
        raise InvalidInputError(
            f"the image is corrupt or unreadable: {exc}", hint="open and re-save the image"
        ) from exc
    return sections.parsed()
