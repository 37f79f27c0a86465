"""What the rest of the core sees of a store, one role per protocol: `Documents` (what
ingestion and the document routes use), `Search` (what retrieval uses), `Store` (both, plus
bulk copying between stores) and the job records (`LocalJobs` for jobs run by this process,
`SharedJobs` for a queue that every replica draws from)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from src.models import (
    ChunkRow,
    ClaimedJob,
    DocumentRecord,
    Filters,
    Hit,
    JobRecord,
    JobStatus,
    Matrix,
    SourceDocument,
    Stored,
    StoredChunk,
)
from src.store.catalog import Catalog
from src.store.properties import EmbeddingSpace


class Documents(Protocol):
    @property
    def space(self) -> EmbeddingSpace | None:
        """The embedding model the stored vectors come from (None: none recorded yet)."""
        ...

    def add_document(
        self, source: SourceDocument, chunks: list[ChunkRow], embeddings: Matrix
    ) -> Stored:
        """Store a document and its chunks atomically. A document with a source replaces
        that source's live version in the same transaction (unless it holds the same
        content: then that version comes back, not created); one without a source is not
        stored again when a document with the same content hash is: that one comes back."""
        ...

    def find_by_hash(
        self, content_hash: str, collection: str, source: str = ""
    ) -> DocumentRecord | None: ...

    def find_source(self, source: str, collection: str) -> DocumentRecord | None: ...

    def find_sources(self, prefix: str, collection: str) -> list[DocumentRecord]:
        """The live documents of a collection whose source begins with `prefix`."""
        ...

    def get_document(self, document_id: str) -> DocumentRecord: ...

    def list_documents(
        self,
        limit: int,
        offset: int,
        collections: tuple[str, ...] | None = None,
        source: str | None = None,
        source_prefix: str | None = None,
    ) -> tuple[list[DocumentRecord], int]: ...

    def document_ids(self, collection: str) -> list[str]: ...

    def list_chunks(self, document_id: str, limit: int, offset: int) -> list[StoredChunk]:
        """A page of one document's chunks in order (NotFoundError: no such document)."""
        ...

    def delete_document(self, document_id: str) -> None: ...

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) as committed."""
        ...


class Search(Protocol):
    def dense_search(self, query: Matrix, k: int, filters: Filters) -> list[tuple[int, float]]: ...

    def keyword_search(self, query: str, k: int, filters: Filters) -> list[tuple[int, float]]: ...

    def hydrate(self, scored: list[tuple[int, float]]) -> list[Hit]: ...

    def consistent(self) -> AbstractContextManager[None]:
        """Searches and hydrate() inside see one committed state: a new version of a source
        committed meanwhile is seen by all of them or by none."""
        ...


class Store(Documents, Search, Protocol):
    @property
    def catalog(self) -> Catalog:
        """The store's collections and API keys."""
        ...

    def put_document(
        self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> Stored:
        """add_document for a document recorded elsewhere: its id and creation time are
        kept (a copy between stores)."""
        ...

    def export_documents(self) -> Iterator[tuple[DocumentRecord, list[ChunkRow], Matrix]]:
        """Every document with its chunks and their embeddings, oldest first."""
        ...

    def export_document(
        self, document_id: str
    ) -> tuple[DocumentRecord, list[ChunkRow], Matrix] | None:
        """One document with its chunks and embeddings (None: no such document)."""
        ...

    def bulk_copy(self) -> AbstractContextManager[None]:
        """Around filling an empty store: indexes may be built once at the end."""
        ...

    @property
    def standby(self) -> bool:
        """Another process serves from this store, and owns what is kept beside it, until
        take_over()."""
        ...

    def refresh(self) -> None:
        """Take in what another process serving from this store has written."""
        ...

    def take_over(self) -> None:
        """The other process has stopped: own what is kept beside the store from now on."""
        ...

    def close(self) -> None: ...


class JobBook(Protocol):
    def update_job(self, job_id: str, **changes: Any) -> None: ...

    def get_job(self, job_id: str) -> JobRecord: ...


class LocalJobs(JobBook, Protocol):
    """Records of jobs that this process runs from its own memory."""

    def create_job(self, total_chunks: int, collection: str, pages: int = 0) -> JobRecord: ...

    def fail_unfinished_jobs(self, reason: str, keep: Collection[str] = ()) -> int:
        """Mark every queued or running job failed (they died with the last process),
        except those in `keep`."""
        ...


class SharedJobs(JobBook, Protocol):
    """A queue of jobs, with their inputs, that any replica may claim and run."""

    def create_job(
        self, total_chunks: int, payload: bytes, collection: str, pages: int = 0
    ) -> JobRecord: ...

    def queued(self) -> int: ...

    def claim(self, owner: str, lease_s: float) -> ClaimedJob | None: ...

    def renew(self, job_id: str, owner: str, lease_s: float) -> bool: ...

    def finish(self, job_id: str, owner: str, status: JobStatus, error: str = "") -> None: ...
