"""From uploaded bytes or text to stored chunks: parse, dedupe, chunk, embed, store."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

import numpy as np

from src.chunking import chunk_text
from src.embedding import Embedder
from src.errors import InvalidInputError, NotFoundError, UnsupportedTypeError
from src.models import ChunkRow, IngestResult, SourceDocument
from src.parsing import FORMATS, Parsed, detect_suffix, normalize_text
from src.parsing.limits import check_document_chars
from src.parsing.ocr import PageProgress
from src.places import Mark, place_of
from src.sources import PART_MARK, UNSAFE_LABEL
from src.store import Documents
from src.telemetry import CHUNKS_INGESTED, DOCUMENTS_INGESTED, INGEST_SECONDS, INGEST_THROUGHPUT

Progress = Callable[[int], None]


class Extract(Protocol):
    """(bytes, suffix) -> the parsed file: a ParserPool's extract in the service."""

    def __call__(
        self,
        data: bytes,
        suffix: str,
        *,
        defer_ocr: bool = False,
        on_page: PageProgress | None = None,
        web_page: bool = False,
    ) -> Parsed: ...


MAX_TITLE_CHARS = 500
# The metadata key that links a mail's attachment to the mail: the mail's content hash.
MAIL_HASH = "mail_hash"
UNTITLED = "untitled"
# Tokens of the title put in front of each chunk when it is embedded: enough to name the
# document, little enough to leave the chunk most of the model's 256.
TITLE_TOKENS = 32


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the HTTP layer hands it over; the name is only a label."""

    data: bytes
    filename: str
    content_type: str = ""
    web_page: bool = False  # fetched from a URL: HTML is read for its main text


@dataclass(frozen=True)
class PendingScan:
    """An upload whose pages OCR must read first: read by a background job, not while the
    upload waits."""

    upload: Upload
    title: str
    metadata: dict[str, Any]
    pages: int  # pages to read by OCR
    collection: str = "default"
    source: str = ""


@dataclass(frozen=True)
class PreparedDocument:
    source: SourceDocument
    chunks: list[ChunkRow] = field(default_factory=list)
    # Put in front of every chunk's text when it is embedded (never stored with it).
    prefix: str = ""
    # The sources of the documents that came with it (a mail's attachments, `source` PART_MARK
    # name): any other part left from an earlier version goes when it is stored.
    parts: tuple[str, ...] = ()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def title_prefix(embedder: Embedder, title: str) -> tuple[str, int]:
    """The title's first TITLE_TOKENS tokens, and how many there are: what the embedding
    of every chunk is conditioned on (a placeholder title is not)."""
    if title == UNTITLED:
        return "", 0
    spans = embedder.token_spans(title)[:TITLE_TOKENS]
    return (title[: spans[-1][1]], len(spans)) if spans else ("", 0)


def embedded_text(prefix: str, text: str) -> str:
    """What the model reads for a chunk: its document's title prefix, then its text."""
    return f"{prefix}\n{text}" if prefix else text


def clean_label(label: str) -> str:
    """A name or title as it may be displayed: no control or bidi characters."""
    return UNSAFE_LABEL.sub("", label).strip()


def display_name(filename: str) -> str:
    """The file's base name for display, stripped of any directories and control characters."""
    return clean_label(PurePosixPath(filename.replace("\\", "/")).name)[:255]


def with_source(document: PreparedDocument, collection: str, source: str) -> PreparedDocument:
    """The document as it is stored in `collection` under `source` ("": none)."""
    placed = dataclasses.replace(document.source, collection=collection, source=source)
    return dataclasses.replace(document, source=placed)


def _title(*candidates: str) -> str:
    """The first non-empty candidate, cleaned and cut to the title limit."""
    for candidate in candidates:
        if title := clean_label(candidate)[:MAX_TITLE_CHARS]:
            return title
    return UNTITLED


@contextmanager
def _naming(filename: str) -> Iterator[None]:
    """Refusals raised inside, of the same kind, with the file's name in front."""
    try:
        yield
    except (InvalidInputError, UnsupportedTypeError) as exc:
        name = display_name(filename) or "upload"
        raise type(exc)(f"{name}: {exc.message}", hint=exc.hint) from exc


def _default_title(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else UNTITLED
    return first_line.lstrip("# ").strip()[:120] or UNTITLED


class Ingestor:
    def __init__(
        self,
        store: Documents,
        embedder: Embedder,
        chunk_tokens: int,
        overlap_tokens: int,
        batch_size: int,
        extract: Extract,
        max_chars: int,
        embed_title: bool = True,
    ) -> None:
        """`embed_title`: put the document's title in front of each chunk it embeds."""
        self._store = store
        self._embed_title = embed_title
        self._extract = extract
        self._max_chars = max_chars
        self._embedder = embedder
        self._chunk_tokens = chunk_tokens
        self._overlap_tokens = overlap_tokens
        self._batch_size = batch_size

    def prepare_upload(
        self,
        upload: Upload,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        defer_ocr: bool = False,
    ) -> list[PreparedDocument | PendingScan]:
        """The file as a document, then each file attached to it (a mail's attachments) as a
        document of its own, whose metadata names the mail (MAIL_HASH: its content hash).
        Attachments' own attachments are listed in their text, not followed. `defer_ocr`: a
        file with pages for OCR to read comes back as a PendingScan (see prepare_scan)."""
        suffix, parsed = self._parsed(upload, defer_ocr=defer_ocr)
        if parsed.unread_pages:
            return [PendingScan(upload, title, metadata or {}, parsed.unread_pages)]
        document = self._prepared(upload, suffix, parsed, title, metadata or {})
        linked = {**(metadata or {}), MAIL_HASH: document.source.content_hash}
        attached: list[PreparedDocument | PendingScan] = []
        for attachment in parsed.attachments:
            file = Upload(attachment.data, attachment.filename)
            with _naming(upload.filename):  # "mail.eml: report.pdf: the PDF is corrupt"
                found, read = self._parsed(file)
            attached.append(self._prepared(file, found, read, "", linked))
        return [document, *attached]

    def prepare_scan(self, scan: PendingScan, on_page: PageProgress) -> PreparedDocument:
        """The document of an upload whose pages OCR reads now, telling `on_page` of each."""
        suffix, parsed = self._parsed(scan.upload, on_page=on_page)
        document = self._prepared(scan.upload, suffix, parsed, scan.title, scan.metadata)
        return with_source(document, scan.collection, scan.source)

    def _parsed(
        self, upload: Upload, defer_ocr: bool = False, on_page: PageProgress | None = None
    ) -> tuple[str, Parsed]:
        """(the file's type, the file parsed); any refusal names the file."""
        with _naming(upload.filename):
            suffix = detect_suffix(upload.filename, upload.content_type, upload.data)
            return suffix, self._extract(
                upload.data,
                suffix,
                defer_ocr=defer_ocr,
                on_page=on_page,
                web_page=upload.web_page,
            )

    def _prepared(
        self, upload: Upload, suffix: str, parsed: Parsed, title: str, metadata: dict[str, Any]
    ) -> PreparedDocument:
        name = display_name(upload.filename)
        source = SourceDocument(
            text=parsed.text,
            title=_title(title, parsed.title, name, _default_title(parsed.text)),
            content_hash=content_hash(parsed.text),
            media_type=FORMATS[suffix].media_type,
            source_name=name,
            metadata=metadata,
        )
        return self._chunked(source, parsed.marks)

    def prepare_text(
        self, text: str, title: str = "", metadata: dict[str, Any] | None = None
    ) -> PreparedDocument:
        text = normalize_text(text)
        if not text:
            raise InvalidInputError("the text is empty", hint="send some text to index")
        check_document_chars(len(text), self._max_chars)
        source = SourceDocument(
            text=text,
            title=_title(title, _default_title(text)),
            content_hash=content_hash(text),
            media_type="text/plain",
            metadata=metadata or {},
        )
        return self._chunked(source)

    def _chunked(self, source: SourceDocument, marks: list[Mark] | None = None) -> PreparedDocument:
        prefix, prefix_tokens = ("", 0)
        if self._embed_title:
            prefix, prefix_tokens = title_prefix(self._embedder, source.title)
        # Room for the model's two special tokens and the title in front of every chunk.
        budget = min(self._chunk_tokens, self._embedder.max_tokens) - 2 - prefix_tokens
        spans = self._embedder.token_spans(source.text)
        marks = marks or []
        sections = [offset for offset, _ in marks]
        pieces = chunk_text(source.text, spans, budget, self._overlap_tokens, sections)
        rows = [
            ChunkRow(p.position, p.text, p.start, p.end, place_of(marks, p.start, p.end))
            for p in pieces
        ]
        return PreparedDocument(source, rows, prefix)

    def ingest(self, prepared: PreparedDocument, progress: Progress | None = None) -> IngestResult:
        """Store the document (in place of its source's live version), unless what it would
        store is stored already: nothing is embedded for a duplicate."""
        source = prepared.source
        existing = self._store.find_by_hash(source.content_hash, source.collection, source.source)
        if existing is not None:
            if progress:
                progress(len(prepared.chunks))
            return IngestResult(existing, duplicate=True)
        started = time.perf_counter()
        embeddings = self._embed(prepared, progress)
        stored = self._store.add_document(source, prepared.chunks, embeddings)
        if stored.created:
            self._record_metrics(len(prepared.chunks), time.perf_counter() - started)
            self._prune_parts(prepared)
        return IngestResult(stored.record, not stored.created, stored.replaced)

    def _prune_parts(self, prepared: PreparedDocument) -> None:
        """Delete the parts an earlier version of the source had and this one has not."""
        source = prepared.source
        if not source.source or PART_MARK in source.source:
            return
        for document in self._store.find_sources(f"{source.source}{PART_MARK}", source.collection):
            if document.source not in prepared.parts:
                with suppress(NotFoundError):  # deleted meanwhile
                    self._store.delete_document(document.id)

    @staticmethod
    def embedded_texts(prepared: PreparedDocument) -> list[str]:
        return [embedded_text(prepared.prefix, chunk.text) for chunk in prepared.chunks]

    def _embed(self, prepared: PreparedDocument, progress: Progress | None) -> np.ndarray[Any, Any]:
        texts = self.embedded_texts(prepared)
        parts = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            parts.append(self._embedder.embed(batch))
            if progress:
                progress(len(batch))
        if not parts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.concatenate(parts)

    @staticmethod
    def _record_metrics(chunks: int, seconds: float) -> None:
        DOCUMENTS_INGESTED.inc()
        CHUNKS_INGESTED.inc(chunks)
        INGEST_SECONDS.observe(seconds)
        INGEST_THROUGHPUT.set(chunks / seconds if seconds > 0 else 0.0)
