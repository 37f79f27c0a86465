"""The rules every store follows, written once: which embedding model a store holds and
how it refuses another, the width of its vectors, when a filtered dense search scans exactly
instead of walking the index, how hits and counts are read, and how documents are read back.
Each backend (src/store/sqlite/, src/store/postgres/) supplies its connections, its SQL
dialect and its indexes through the abstract methods below.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, TypeVar

from src.errors import StoreError
from src.models import (
    ChunkRow,
    DocumentRecord,
    Filters,
    Hit,
    Matrix,
    SourceDocument,
    Stored,
    StoredChunk,
)
from src.store.catalog import Catalog
from src.store.properties import EmbeddingSpace, space_of, space_properties
from src.store.rows import (
    CHUNK_COLUMNS,
    DOC_SELECT,
    document_record,
    hit,
    json_value,
    no_document,
    stored_chunk,
)

# A filtered dense search over at most this many chunks scores them all exactly (measured:
# ~10 ms for 20k at 384 dimensions); past it the index is walked and its candidates
# filtered, with the exact scan as the fallback when that finds fewer than top_k.
EXACT_MAX_CHUNKS = 20_000

# The most parts (a mail's attachments) of one source that a new version looks through.
MAX_PARTS = 10_000
C = TypeVar("C")  # a backend's connection
S = TypeVar("S")  # a backend's description of the documents a filter allows
Row = Sequence[Any]
Scored = list[tuple[int, float]]


def check_dimension(matrix: Matrix, dimension: int, where: str, stored: bool) -> None:
    """Vectors of the store's width, or a StoreError naming both widths. `stored`: the
    vectors were read from the store (else they are about to be written)."""
    if matrix.ndim == 1 and matrix.size == 0:  # no vectors at all
        return
    width = int(matrix.shape[-1])
    if width == dimension:
        return
    held, made = (width, dimension) if stored else (dimension, width)
    raise StoreError(
        f"{where} holds {held}-dimensional embeddings but the model makes {made}-dimensional ones",
        hint="use the model the store was built with, or another store",
    )


def in_collections(collections: tuple[str, ...] | None, param: str) -> tuple[str, list[Any]]:
    """A condition on documents `d`: in one of these collections (None: any), written with
    the driver's placeholder `param`; and its parameters."""
    if collections is None:
        return "1 = 1", []
    if not collections:
        return "1 = 0", []
    names = ", ".join([param] * len(collections))
    where = f"d.collection_id IN (SELECT id FROM collections WHERE name IN ({names}))"
    return where, list(collections)


class StoreCore(ABC, Generic[C, S]):
    """The shared half of a store. A backend names its placeholder, how a chunk joins its
    document and what orders documents created at the same moment."""

    PARAM: ClassVar[str]  # the driver's placeholder
    JOIN: ClassVar[str]  # chunks `c` to their documents `d`
    TIEBREAK: ClassVar[str]  # orders documents created at the same moment
    OLDEST_FIRST: ClassVar[str]  # orders documents as they were stored
    VECTOR: ClassVar[str]  # a chunk's embedding as _vectors() reads it
    SWITCH_HINT: ClassVar[str]  # how to move a store to another model

    def __init__(self, dimension: int, where: str) -> None:
        self._dimension = dimension
        self.where = where  # "the store at PATH" or "the database at HOST"
        self.catalog = Catalog(self._reading, self._writing, self.PARAM)

    # -- what a backend supplies -----------------------------------------------------------

    @abstractmethod
    def _reading(self) -> AbstractContextManager[C]:
        """A connection for reads."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[C]:
        """A connection whose reads all see one committed state."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[C]:
        """A write transaction."""

    @abstractmethod
    def _vectors(self, values: list[Any]) -> Matrix:
        """The embeddings of rows' VECTOR values, one row each."""

    @abstractmethod
    def _claiming(self) -> AbstractContextManager[C]:
        """A write transaction that no other claim of the model runs beside."""

    @abstractmethod
    def _rows(self, conn: C, sql: str, params: Sequence[Any] = ()) -> Sequence[Row]: ...

    @abstractmethod
    def _set_properties(self, conn: C, values: dict[str, str]) -> None: ...

    @abstractmethod
    def _record_space(self, conn: C, space: EmbeddingSpace, first: bool) -> None:
        """Record the model (`first`: no model was recorded or the store is empty)."""

    @abstractmethod
    def _new_created_at(self) -> str:
        """The creation time of a new document ("": the database's clock)."""

    @abstractmethod
    def _insert(self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix) -> Stored:
        """Store the document in one transaction (in place of its source's live version), or
        find the stored one it duplicates."""

    @abstractmethod
    def _scope(self, conn: C, filters: Filters) -> tuple[S, int]:
        """The documents the filters allow, and how many chunks they hold."""

    @abstractmethod
    def _index_search(self, conn: C, query: Matrix, k: int, scope: S | None) -> Scored:
        """Up to k nearest chunks through the dense index (within `scope` when given)."""

    @abstractmethod
    def _exact_search(self, conn: C, query: Matrix, k: int, scope: S) -> Scored:
        """The k nearest chunks within `scope`, every one of them scored."""

    @abstractmethod
    def _ids_in(self, ids: list[int]) -> tuple[str, list[Any]]:
        """A condition `c.id ...` matching these chunk ids, and its parameters."""

    # -- the embedding model ---------------------------------------------------------------

    @property
    def space(self) -> EmbeddingSpace | None:
        with self._reading() as conn:
            return space_of(self._properties(conn))

    def _properties(self, conn: C) -> dict[str, str]:
        return {row[0]: row[1] for row in self._rows(conn, "SELECT name, value FROM properties")}

    def _claim(self, space: EmbeddingSpace) -> None:
        """Record the model a store's vectors come from, or refuse another one while the
        store holds any chunk."""
        with self._claiming() as conn:
            recorded = space_of(self._properties(conn))
            if recorded == space:
                self._record_space(conn, space, first=False)
                return
            if recorded is not None and self._rows(conn, "SELECT 1 FROM chunks LIMIT 1"):
                raise StoreError(
                    f"{self.where} holds embeddings of {recorded}, but the service is "
                    f"configured for {space}: one store never mixes models",
                    hint=self.SWITCH_HINT,
                )
            self._record_space(conn, space, first=True)
            self._set_properties(conn, space_properties(space))

    def _check_dimension(self, matrix: Matrix, stored: bool = False) -> None:
        check_dimension(matrix, self._dimension, self.where, stored)

    # -- documents -------------------------------------------------------------------------

    def add_document(
        self, source: SourceDocument, chunks: list[ChunkRow], embeddings: Matrix
    ) -> Stored:
        record = DocumentRecord.of(source, len(chunks), self._new_created_at())
        return self.put_document(record, chunks, embeddings)

    def put_document(
        self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> Stored:
        self._check_dimension(embeddings)
        return self._insert(record, chunks, embeddings)

    def find_by_hash(
        self, content_hash: str, collection: str, source: str = ""
    ) -> DocumentRecord | None:
        """The stored document that storing this content would duplicate: the source's live
        version if it holds this content, or (without a source) any document holding it."""
        sql = f"{DOC_SELECT} WHERE d.content_hash = {self.PARAM} AND k.name = {self.PARAM}"
        params: tuple[str, ...] = (content_hash, collection)
        if source:
            sql, params = f"{sql} AND d.source = {self.PARAM}", (*params, source)
        with self._reading() as conn:
            rows = self._rows(conn, f"{sql} LIMIT 1", params)
        return document_record(rows[0]) if rows else None

    def _current(self, conn: C, record: DocumentRecord) -> DocumentRecord | None:
        """What storing the record would duplicate or replace, read inside the storing
        transaction: its source's live version, or (without a source) a document holding
        the same content."""
        key, value = (
            ("source", record.source) if record.source else ("content_hash", record.content_hash)
        )
        sql = f"{DOC_SELECT} WHERE d.{key} = {self.PARAM} AND k.name = {self.PARAM} LIMIT 1"
        rows = self._rows(conn, sql, (value, record.collection))
        return document_record(rows[0]) if rows else None

    def find_source(self, source: str, collection: str) -> DocumentRecord | None:
        """The live version of a source in a collection."""
        sql = f"{DOC_SELECT} WHERE d.source = {self.PARAM} AND k.name = {self.PARAM}"
        with self._reading() as conn:
            rows = self._rows(conn, sql, (source, collection))
        return document_record(rows[0]) if rows else None

    def find_sources(self, prefix: str, collection: str) -> list[DocumentRecord]:
        """The live documents of a collection whose source begins with `prefix`."""
        sql = (
            f"{DOC_SELECT} WHERE substr(d.source, 1, {self.PARAM}) = {self.PARAM} "
            f"AND k.name = {self.PARAM} LIMIT {MAX_PARTS}"
        )
        with self._reading() as conn:
            rows = self._rows(conn, sql, (len(prefix), prefix, collection))
        return [document_record(row) for row in rows]

    def get_document(self, document_id: str) -> DocumentRecord:
        with self._reading() as conn:
            rows = self._rows(conn, f"{DOC_SELECT} WHERE d.id = {self.PARAM}", (document_id,))
        if not rows:
            raise no_document(document_id)
        return document_record(rows[0])

    def list_documents(
        self,
        limit: int,
        offset: int,
        collections: tuple[str, ...] | None = None,
        source: str | None = None,
        source_prefix: str | None = None,
    ) -> tuple[list[DocumentRecord], int]:
        """A page of the documents in `collections` (None: all), newest first; their total.
        `source`: only the live version of that source in each collection; `source_prefix`:
        only documents whose source begins with it."""
        where, params = in_collections(collections, self.PARAM)
        if source is not None:
            where, params = f"{where} AND d.source = {self.PARAM}", [*params, source]
        if source_prefix is not None:
            where = f"{where} AND substr(d.source, 1, {self.PARAM}) = {self.PARAM}"
            params = [*params, len(source_prefix), source_prefix]
        page = (
            f"{DOC_SELECT} WHERE {where} ORDER BY d.created_at DESC, d.{self.TIEBREAK} DESC "
            f"LIMIT {self.PARAM} OFFSET {self.PARAM}"
        )
        with self._reading() as conn:
            total = self._rows(conn, f"SELECT count(*) FROM documents d WHERE {where}", params)
            rows = self._rows(conn, page, (*params, limit, offset))
        return [document_record(row) for row in rows], int(total[0][0])

    def document_ids(self, collection: str) -> list[str]:
        """The ids of every document in a collection."""
        where, params = in_collections((collection,), self.PARAM)
        with self._reading() as conn:
            return [
                row[0]
                for row in self._rows(conn, f"SELECT d.id FROM documents d WHERE {where}", params)
            ]

    def list_chunks(self, document_id: str, limit: int, offset: int) -> list[StoredChunk]:
        columns = ", ".join(f"c.{name}" for name in CHUNK_COLUMNS.split(", "))
        page = (
            f"SELECT {columns} FROM chunks c JOIN documents d ON {self.JOIN} "
            f"WHERE d.id = {self.PARAM} ORDER BY c.position LIMIT {self.PARAM} OFFSET {self.PARAM}"
        )
        exists = f"SELECT 1 FROM documents WHERE id = {self.PARAM}"
        with self._reading() as conn:
            if not self._rows(conn, exists, (document_id,)):
                raise no_document(document_id)
            rows = self._rows(conn, page, (document_id, limit, offset))
        return [stored_chunk(row) for row in rows]

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) as committed: what every replica and every index serves."""
        sql = "SELECT count(*), coalesce(sum(chunk_count), 0) FROM documents"
        with self._reading() as conn:
            row = self._rows(conn, sql)[0]
        return int(row[0]), int(row[1])

    def export_documents(self) -> Iterator[tuple[DocumentRecord, list[ChunkRow], Matrix]]:
        """Every document with its chunks and their embeddings, oldest first."""
        for document_id in self._document_ids():
            exported = self.export_document(document_id)
            if exported is not None:  # None: deleted meanwhile
                yield exported

    def _document_ids(self) -> list[str]:
        sql = f"SELECT id FROM documents ORDER BY {self.OLDEST_FIRST}"
        with self._reading() as conn:
            return [row[0] for row in self._rows(conn, sql)]

    def export_document(
        self, document_id: str
    ) -> tuple[DocumentRecord, list[ChunkRow], Matrix] | None:
        """A document with its chunks and embeddings, read in one snapshot."""
        document = f"{DOC_SELECT} WHERE d.id = {self.PARAM}"
        chunks = (
            f"SELECT c.position, c.text, c.start_char, c.end_char, c.place, {self.VECTOR} "
            "FROM chunks c "
            f"JOIN documents d ON {self.JOIN} WHERE d.id = {self.PARAM} ORDER BY c.position"
        )
        with self._snapshot() as conn:
            found = self._rows(conn, document, (document_id,))
            rows = self._rows(conn, chunks, (document_id,))
        if not found:
            return None
        vectors = self._vectors([row[5] for row in rows])
        held = [ChunkRow(row[0], row[1], row[2], row[3], json_value(row[4])) for row in rows]
        return document_record(found[0]), held, vectors

    # -- search ----------------------------------------------------------------------------

    def dense_search(self, query: Matrix, k: int, filters: Filters) -> Scored:
        with self._reading() as conn:
            if filters.empty:
                return self._index_search(conn, query, k, None)
            scope, allowed = self._scope(conn, filters)
            if allowed > EXACT_MAX_CHUNKS:
                found = self._index_search(conn, query, k, scope)
                if len(found) == min(k, allowed):
                    return found
            return self._exact_search(conn, query, k, scope)

    def hydrate(self, scored: Scored) -> list[Hit]:
        if not scored:
            return []
        condition, params = self._ids_in([chunk_id for chunk_id, _ in scored])
        sql = (
            "SELECT c.id, d.id, d.title, c.position, c.text, c.start_char, c.end_char, k.name, "
            "c.place "
            f"FROM chunks c JOIN documents d ON {self.JOIN} "
            f"JOIN collections k ON k.id = d.collection_id WHERE {condition}"
        )
        with self._reading() as conn:
            by_id = {row[0]: row for row in self._rows(conn, sql, params)}
        # A chunk deleted between search and hydrate is simply dropped.
        return [hit(by_id[chunk_id], score) for chunk_id, score in scored if chunk_id in by_id]
