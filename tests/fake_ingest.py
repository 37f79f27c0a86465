"""Prepared documents and a scripted ingest callable for job runner tests: no embedder,
no store, just what a runner hands over and gets back."""

from __future__ import annotations

import threading
from collections.abc import Callable

from src.ingest import PendingScan, PreparedDocument, Progress, Upload, content_hash
from src.models import ChunkRow, DocumentRecord, IngestResult, SourceDocument
from src.parsing.ocr import PageProgress


def document(name: str, chunks: int) -> PreparedDocument:
    """A prepared document called `name` with `chunks` one-word chunks."""
    words = [f"{name}-{n}" for n in range(chunks)]
    text = " ".join(words)
    rows, start = [], 0
    for position, word in enumerate(words):
        rows.append(ChunkRow(position, word, start, start + len(word)))
        start += len(word) + 1
    source = SourceDocument(text, name, content_hash(text), "text/plain")
    return PreparedDocument(source, rows, prefix=name)


class FakeIngest:
    """Reports progress one chunk at a time and records what it ingested. `before`: run
    first for each document (to block it, or to raise)."""

    def __init__(self, before: Callable[[PreparedDocument], None] | None = None) -> None:
        self.before = before
        self.ingested: list[str] = []  # the titles, in order
        self._lock = threading.Lock()

    def __call__(self, prepared: PreparedDocument, progress: Progress | None) -> IngestResult:
        if self.before is not None:
            self.before(prepared)
        for _ in prepared.chunks:
            if progress is not None:
                progress(1)
        with self._lock:
            self.ingested.append(prepared.source.title)
        return IngestResult(DocumentRecord.of(prepared.source, len(prepared.chunks)), False)


def scan(name: str, pages: int) -> PendingScan:
    """An upload of `pages` scanned pages, left for a job to read."""
    return PendingScan(Upload(b"%PDF-", f"{name}.pdf"), name, {}, pages)


def read_scan(scan: PendingScan, on_page: PageProgress) -> PreparedDocument:
    """What OCR makes of a scan here: one chunk a page, each page told as it is read."""
    for read in range(1, scan.pages + 1):
        on_page(read, scan.pages)
    return document(scan.title, scan.pages)
