"""The README's OCR blocks (bench/ocr.py's records): accuracy and seconds per page for each
engine on each test page, and what each engine adds to an image."""

from __future__ import annotations

from collections.abc import Callable

from bench.figures_base import _table, cell
from bench.readme import Results
from bench.report import Record

PAGES = (
    ("en_print", "printed English"),
    ("zh_print", "printed Chinese"),
    ("en_photo", "English phone photo"),
    ("mixed_photo", "Chinese and English phone photo"),
)
IMAGES = (
    ("libtesseract", "Tesseract's library, English and Chinese models (rag-api's layer)"),
    ("tesseract_cli", "Debian's `tesseract-ocr` package with the same models"),
    ("pillow", "Pillow (page images, pixel checks)"),
    ("rapidocr", "RapidOCR (`rapidocr-onnxruntime`), past numpy and onnxruntime"),
    ("rapidocr_headless", "RapidOCR with headless OpenCV, past numpy and onnxruntime"),
)


def _accuracy(record: Record | None) -> str:
    return "not measured" if record is None else f"{record.value * 100:.1f}%"


_THREADS = {"omp1": "1 thread", "omp2": "2 threads", "ompdefault": "OpenMP's own threads"}
_RAPID = {
    "rapidocr-default": "RapidOCR, onnxruntime's own threads",
    "rapidocr-threads1": "RapidOCR, 1 thread",
}


def _label(variant: str) -> str:
    """ "tesseract-psm3-pagelang-omp1" as "Tesseract, psm 3, the page's language, 1 thread"."""
    parts = variant.split("-")
    if parts[0] != "tesseract" or len(parts) != 4:
        return _RAPID.get(variant, variant)
    language = "the page's language" if parts[2] == "pagelang" else parts[2]
    return f"Tesseract, psm {parts[1][3:]}, {language}, {_THREADS.get(parts[3], parts[3])}"


def _variants(results: Results) -> list[str]:
    return list(dict.fromkeys(r.variant for r in results.records if r.scenario == "ocr"))


def ocr_pages(results: Results) -> str:
    rows = [
        [
            _label(name),
            *(
                f"{_accuracy(results.get('ocr', name, f'{page} accuracy'))} / "
                f"{cell(results.get('ocr', name, f'{page} seconds'))}"
                for page, _ in PAGES
            ),
        ]
        for name in _variants(results)
    ]
    return _table(["engine", *(label for _, label in PAGES)], rows)


def ocr_images(results: Results) -> str:
    rows = [[label, cell(results.get("ocr image", target, "growth"))] for target, label in IMAGES]
    return _table(["added to `python:3.11-slim-bookworm`", "image growth"], rows)


OCR_RENDERERS: dict[str, Callable[[Results], str]] = {
    "ocr": ocr_pages,
    "ocr-images": ocr_images,
}
