"""Plain records passed between the core's parts and up to the HTTP layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from src.places import Place

JsonScalar = str | int | float | bool
# Embeddings: one L2-normalised float32 row per text.
Matrix = npt.NDArray[np.float32]
AnswerMode = Literal["llm", "extractive"]


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    KEYWORD = "keyword"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class SourceDocument:
    """A parsed input, before chunking: what ingestion starts from."""

    text: str
    title: str
    content_hash: str
    media_type: str
    source_name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    collection: str = "default"  # the knowledge base it is stored in
    # The client's own stable name for it (a path, a URL, a ticket id): within a collection
    # it names at most one live document, which a new version replaces ("": none).
    source: str = ""


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    title: str
    content_hash: str
    media_type: str
    source_name: str
    metadata: dict[str, Any]
    char_count: int
    chunk_count: int
    created_at: str
    collection: str = "default"
    source: str = ""
    version: int = 1  # of its source: 1, then one more with each replacement

    @classmethod
    def of(cls, source: SourceDocument, chunk_count: int, created_at: str = "") -> DocumentRecord:
        """The record of a new document, under a new id (version 1 until it is stored)."""
        return cls(
            id=uuid.uuid4().hex,
            title=source.title,
            content_hash=source.content_hash,
            media_type=source.media_type,
            source_name=source.source_name,
            metadata=source.metadata,
            char_count=len(source.text),
            chunk_count=chunk_count,
            created_at=created_at,
            collection=source.collection,
            source=source.source,
        )


@dataclass(frozen=True)
class ChunkRow:
    """A chunk ready to store: its text, where it sits in the text and in the source file."""

    position: int
    text: str
    start: int
    end: int
    place: Place = field(default_factory=dict)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored, in its document's order."""

    chunk_id: int
    position: int
    text: str
    start: int
    end: int
    place: Place = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: str
    title: str
    position: int
    text: str
    start: int
    end: int
    score: float
    collection: str = "default"
    place: Place = field(default_factory=dict)


@dataclass(frozen=True)
class Ranking:
    """Hits best first, and whether the reranker ordered them (False: the first-stage order,
    because none is configured, the request said not to, or the reranker failed)."""

    hits: list[Hit]
    reranked: bool = False


@dataclass(frozen=True)
class Filters:
    document_ids: tuple[str, ...] = ()
    metadata: tuple[tuple[str, JsonScalar], ...] = ()
    # The collections searched, by name (None: every collection in the store).
    collections: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        return not self.document_ids and not self.metadata and self.collections is None

    @property
    def only_collections(self) -> bool:
        """A filter of collections and nothing else (what a scoped key's search is)."""
        return not self.document_ids and not self.metadata and self.collections is not None


@dataclass(frozen=True)
class IngestResult:
    document: DocumentRecord
    duplicate: bool
    replaced: str | None = None  # the id of the version of its source it replaced


@dataclass(frozen=True)
class Stored:
    """What storing a document did: stored it (created), found it stored (not created), and
    the id of the earlier version of its source it replaced, if any."""

    record: DocumentRecord
    created: bool
    replaced: str | None = None


@dataclass(frozen=True)
class JobRecord:
    id: str
    status: JobStatus
    total_chunks: int
    embedded_chunks: int
    documents: list[dict[str, Any]]
    error: str
    created_at: str
    updated_at: str
    collection: str = "default"  # where its documents go
    pages_total: int = 0  # pages its files need read by OCR first
    pages_read: int = 0


@dataclass(frozen=True)
class ClaimedJob:
    """A job one runner has leased from a queue that several share."""

    id: str
    payload: bytes
    documents: list[dict[str, Any]]  # results of the documents an earlier run finished
    embedded_chunks: int


@dataclass(frozen=True)
class CollectionRecord:
    """A knowledge base: a named set of documents that keys are scoped to."""

    name: str
    description: str
    created_at: str
    documents: int = 0
    chunks: int = 0


@dataclass(frozen=True)
class KeyRecord:
    """An API key as stored: never the key itself, only what it may do."""

    id: str
    name: str
    role: str
    collections: tuple[str, ...]  # by name; empty for an admin key (every collection)
    created_at: str
    last_used_at: str | None = None
