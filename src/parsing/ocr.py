"""Reading the text of page images (scans, photos, PDF pages without a text layer) by OCR.

The engine is Debian's Tesseract, run as its command-line program on one page at a time,
from inside a parser worker: it inherits the worker's memory cap, gets its own CPU-time
limit and a wall-clock timeout, and never sees a file name (the page comes on stdin as PNG).
Pages are bounded before they are decoded (pixels per image, pages per document), so an
image bomb costs a header read.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import subprocess
from collections.abc import Callable
from contextvars import ContextVar

from PIL import Image

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import ParseLimits

# The wall clock a page may take, past its CPU time: a busy machine, process start.
_SLACK_S = 10
# Tesseract separates every Chinese character with a space; Chinese has none.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


# Told after each page OCR reads: (pages read, pages to read). The parser worker sets it to
# send progress frames when a background job asks (src/parsing/worker.py).
PageProgress = Callable[[int, int], None]  # (pages OCR has read, pages it will read)
PAGE_PROGRESS: ContextVar[PageProgress | None] = ContextVar("PAGE_PROGRESS", default=None)


def ocr_unavailable(limits: ParseLimits) -> str:
    """Why OCR cannot run here ("" when it can)."""
    if not limits.ocr:
        return "OCR is turned off (RAG_OCR=off)"
    if shutil.which("tesseract") is None:
        return "OCR needs the tesseract program, which is not installed"
    return ""


def check_pixels(width: int, height: int, limits: ParseLimits) -> None:
    if width * height > limits.ocr_max_pixels:
        raise LimitExceededError(
            f"an image of {width:,} x {height:,} pixels is over the limit of "
            f"{limits.ocr_max_pixels:,} pixels",
            hint="scan at 300 dpi, or raise RAG_OCR_MAX_PIXELS",
        )


def check_pages(pages: int, limits: ParseLimits) -> None:
    if pages > limits.ocr_max_pages:
        raise LimitExceededError(
            f"the file has {pages:,} pages to read by OCR; the limit is {limits.ocr_max_pages:,}",
            hint="split the file, or raise RAG_OCR_MAX_PAGES",
        )


def _cpu_cap(seconds: int) -> Callable[[], None]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))

    return cap


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PageReader:
    """Reads one file's page images, within a CPU budget for the whole file
    (RAG_OCR_SECONDS) as well as each page's own (RAG_OCR_PAGE_SECONDS)."""

    def __init__(self, limits: ParseLimits, pages: int) -> None:
        self._limits = limits
        self._left = float(limits.ocr_seconds)
        self._pages = pages
        self._read = 0

    def read(self, image: Image.Image) -> str:
        """The text of one page image, in the configured languages."""
        check_pixels(image.width, image.height, self._limits)
        if self._left <= 0:
            raise LimitExceededError(
                f"OCR of this file took more than its {self._limits.ocr_seconds} s CPU limit",
                hint="split the file, or raise RAG_OCR_SECONDS",
            )
        before = _children_cpu()
        try:
            text = _tesseract(image, self._limits, min(self._limits.ocr_page_seconds, self._left))
        finally:
            self._left -= _children_cpu() - before
        self._read += 1
        if (report := PAGE_PROGRESS.get()) is not None:
            report(self._read, self._pages)
        return text


def _tesseract(image: Image.Image, limits: ParseLimits, seconds: float) -> str:
    page = io.BytesIO()
    image.convert("L").save(page, "PNG")
    command = ["tesseract", "stdin", "stdout", "-l", limits.ocr_languages]
    try:
        done = subprocess.run(
            command,
            input=page.getvalue(),
            capture_output=True,
            timeout=seconds + _SLACK_S,
            preexec_fn=_cpu_cap(max(int(seconds), 1)),
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _too_slow(limits) from exc
    if done.returncode < 0:
        raise _too_slow(limits)
    if done.returncode != 0:
        raise InvalidInputError(
            f"OCR could not read a page: {done.stderr.decode(errors='replace').strip()[:200]}",
            hint="check the image opens in an image viewer",
        )
    return _CJK_GAP.sub("", done.stdout.decode("utf-8", errors="replace"))


def _too_slow(limits: ParseLimits) -> LimitExceededError:
    return LimitExceededError(
        f"OCR of one page took more than its CPU limit ({limits.ocr_page_seconds} s a page, "
        f"{limits.ocr_seconds} s a file)",
        hint="scan at 300 dpi, or raise RAG_OCR_PAGE_SECONDS / RAG_OCR_SECONDS",
    )
