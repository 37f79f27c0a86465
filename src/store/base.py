"""The storage interface: the embedded SQLite store and the Postgres one both implement it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from src.embedding import Matrix
from src.models import (
    ChunkRow,
    DocumentRecord,
    Filters,
    Hit,
    JobRecord,
    SourceDocument,
    StoredChunk,
)
from src.store.properties import EmbeddingSpace


class Store(Protocol):
    @property
    def space(self) -> EmbeddingSpace | None:
        """The embedding model the stored vectors come from (None: none recorded yet)."""
        ...

    def add_document(
        self, source: SourceDocument, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        """Store a document and its chunks atomically; (record, created). A document with
        the same content hash is not stored again: the existing record comes back."""
        ...

    def put_document(
        self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        """add_document for a document recorded elsewhere: its id and creation time are
        kept (a copy between stores)."""
        ...

    def export_documents(self) -> Iterator[tuple[DocumentRecord, list[ChunkRow], Matrix]]:
        """Every document with its chunks and their embeddings, oldest first."""
        ...

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None: ...

    def get_document(self, document_id: str) -> DocumentRecord: ...

    def list_documents(self, limit: int, offset: int) -> tuple[list[DocumentRecord], int]: ...

    def list_chunks(self, document_id: str, limit: int, offset: int) -> list[StoredChunk]:
        """A page of one document's chunks in order (NotFoundError: no such document)."""
        ...

    def delete_document(self, document_id: str) -> None: ...

    def dense_search(self, query: Matrix, k: int, filters: Filters) -> list[tuple[int, float]]: ...

    def keyword_search(self, query: str, k: int, filters: Filters) -> list[tuple[int, float]]: ...

    def hydrate(self, scored: list[tuple[int, float]]) -> list[Hit]: ...

    def counts(self) -> tuple[int, int]: ...

    def create_job(self, total_chunks: int) -> JobRecord: ...

    def update_job(self, job_id: str, **changes: Any) -> None: ...

    def get_job(self, job_id: str) -> JobRecord: ...

    def fail_unfinished_jobs(self, reason: str) -> int: ...

    def close(self) -> None: ...
