"""The embedded default store: one SQLite file in WAL mode under the storage dir
(src/store/sqlite/connection.py).

A document, its chunks and their embeddings are written in one transaction, so after a
crash a document is either wholly there or absent. Search goes through two indexes derived
from those rows and kept beside the file: HNSW over the embeddings (src/store/sqlite/ann.py;
a filtered search over few chunks scans them exactly instead) and BM25 over the texts
(src/store/sqlite/keyword.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from src.models import ChunkRow, DocumentRecord, Filters, Matrix, Stored
from src.store.core import Row, Scored, StoreCore, in_collections
from src.store.properties import EmbeddingSpace
from src.store.rows import DOC_COLUMNS, no_collection, no_document, now
from src.store.sqlite.ann import AnnIndex, AnnParams, Autosave, IdArray, exact_search
from src.store.sqlite.connection import SQLiteFile
from src.store.sqlite.keyword import KeywordIndex
from src.store.sqlite.scoped import CollectionSearch, widened
from src.store.sqlite.swap import SwapLock
from src.text.segmentation import Segmenter
from src.text.terms import titled_text

# Rows per batch when reading embeddings back from the store.
READ_BATCH = 4096
# The documents a filter allows: their rowids as a JSON array for json_each(), and their
# chunk total.
Docs = tuple[str, int]
# A document's rows: its rowid, its collection's id and its chunks' ids.
Rows = tuple[int, int, IdArray]
# Memory for the vectors of small collections, scanned exactly (src/store/sqlite/scoped.py).
COLLECTION_CACHE_BYTES = 256 * 1024 * 1024
log = logging.getLogger("rag.store")


class SQLiteStore(StoreCore[sqlite3.Connection, Docs]):
    PARAM = "?"
    JOIN = "d.rowid = c.doc_rowid"
    TIEBREAK = "rowid"
    OLDEST_FIRST = "rowid"
    VECTOR = "c.embedding"
    SWITCH_HINT = (
        "switch the store with `python -m src.reindex` (it re-embeds every chunk with the "
        "configured model), or configure the store's model again"
    )

    def __init__(
        self,
        path: Path,
        dimension: int,
        ann: AnnParams | None = None,
        save_seconds: float = 60.0,
        bulk_load: bool = False,
        segmenter: Segmenter | None = None,
        model: str | None = None,
        standby: bool = False,
    ) -> None:
        """`bulk_load`: writes skip the search indexes, which the next open (a normal one)
        brings up to date in bulk, on every core; searches are meaningless meanwhile.
        `model`: the embedding model's name, recorded with the store by the first open and
        checked by every later one (None: not checked, for tools that bring their own).
        `standby`: another process serves from this store until take_over() (a deploy's
        next version beside the current one): nothing shared is rebuilt, repaired or saved
        meanwhile; StandbyRefusedError when something would have to be."""
        super().__init__(dimension, f"the store at {path}")
        self.file = SQLiteFile(path, standby)
        self._bulk_load = bulk_load
        self._standby = standby
        self._save_seconds = save_seconds
        if model is not None:
            self._claim(EmbeddingSpace(model, dimension))
        stored = self._chunk_ids()
        params = dataclasses.replace(ann or AnnParams(dimension), model=model or "")
        self._ann = AnnIndex(path.with_name(path.stem + ".hnsw"), params)
        self._ann.open(stored, self._embeddings, save=not standby)
        self._keyword = KeywordIndex(path.with_name(path.stem + ".keyword"), segmenter, standby)
        if not standby:
            self._keyword.open(stored, self._texts)
        self._autosave = None if standby else Autosave(self._ann, save_seconds)
        self._swap = SwapLock()
        # Held from a write's transaction until every index has it, and by a catch-up: so a
        # catch-up never sees a write in the store but not yet in an index (or the reverse).
        self._indexing = threading.Lock()
        self._collections = CollectionSearch(
            self.file.reader, self._matrix, self._ann, self._keyword, COLLECTION_CACHE_BYTES
        )

    def close(self) -> None:
        if self._autosave is not None:  # a process on standby never saves the shared file
            self._autosave.stop()
            self._ann.save_if_changed()
        self._keyword.close()
        self.file.close()

    # -- beside another process ------------------------------------------------------------

    @property
    def standby(self) -> bool:
        return self._standby

    def refresh(self) -> None:
        """Take in what another process serving from this store has written: the dense
        index and the collections' counts from the rows, the keyword index as committed."""
        with self._indexing:
            removed, added = self._ann.reconcile(self._chunk_ids(), self._embeddings)
            self._keyword.reload()
            self._collections.recount()
        log.info("caught up with the store: dense index %d removed, %d added", removed, added)

    def take_over(self) -> None:
        """The other process has stopped: repair the shared keyword index, save the dense
        one, and save it from now on, as a store opened alone does."""
        if not self._standby:
            return
        with self._indexing:
            stored = self._chunk_ids()
            self._ann.reconcile(stored, self._embeddings)
            self._keyword.reload()
            self._keyword.open(stored, self._texts)
            self._collections.recount()
            self._ann.save()
            self._autosave = Autosave(self._ann, self._save_seconds)
            self._standby = False
        log.info("took over the store at %s", self.file.path)

    # -- the core's needs ------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        yield self.file.reader()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        conn = self.file.reader()
        conn.execute("BEGIN")  # a read transaction: one snapshot until it ends
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _vectors(self, values: list[Any]) -> Matrix:
        blob = np.frombuffer(b"".join(values), dtype=np.float32)
        return blob.reshape(len(values), self._dimension)

    def _claiming(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.file.transaction()

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.file.transaction()

    def _rows(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
    ) -> Sequence[Row]:
        return conn.execute(sql, params).fetchall()

    def _set_properties(self, conn: sqlite3.Connection, values: dict[str, str]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO properties (name, value) VALUES (?, ?)", values.items()
        )

    def _record_space(self, conn: sqlite3.Connection, space: EmbeddingSpace, first: bool) -> None:
        """Nothing to prepare: a SQLite column holds vectors of any width."""

    def _new_created_at(self) -> str:
        return now()

    def _ids_in(self, ids: list[int]) -> tuple[str, list[Any]]:
        return f"c.id IN ({', '.join('?' * len(ids))})", list(ids)

    # -- reading the rows the indexes are built from ---------------------------------------

    def _chunk_ids(self) -> IdArray:
        # Unordered, so SQLite reads the ids from the small (doc, position) index instead of
        # every chunk's text and vector (at 1M chunks, 3.9 GB read from disk on a cold start).
        rows = self.file.reader().execute("SELECT id FROM chunks")
        return np.sort(np.fromiter((row[0] for row in rows), dtype=np.int64))

    def _batches(self, select: str, ids: IdArray | None) -> Iterator[list[Any]]:
        """Rows of `select` (whose chunks are `c`), READ_BATCH at a time, in chunk id order:
        of every chunk, or of the chunks `ids`."""
        conn = self.file.reader()
        if ids is None:
            cursor = conn.execute(f"{select} ORDER BY c.id")
            yield from iter(lambda: cursor.fetchmany(READ_BATCH), [])
            return
        for start in range(0, len(ids), READ_BATCH):
            wanted = json.dumps(ids[start : start + READ_BATCH].tolist())
            query = f"{select} WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id"
            if rows := conn.execute(query, (wanted,)).fetchall():
                yield rows

    def _embeddings(self, ids: IdArray | None) -> Iterator[tuple[IdArray, Matrix]]:
        """(chunk ids, embeddings) in batches: of every chunk, or of those asked for."""
        for rows in self._batches("SELECT c.id, c.embedding FROM chunks c", ids):
            yield self._matrix(rows)

    def _texts(self, ids: IdArray | None) -> Iterator[tuple[list[int], list[int], list[str]]]:
        """(chunk ids, document rowids, titled texts) in batches: of every chunk, or those
        asked for."""
        select = (
            "SELECT c.id, c.doc_rowid, d.title, c.text "
            "FROM chunks c JOIN documents d ON d.rowid = c.doc_rowid"
        )
        for rows in self._batches(select, ids):
            texts = [titled_text(r[2], r[3]) for r in rows]
            yield [r[0] for r in rows], [r[1] for r in rows], texts

    def _matrix(self, rows: list[tuple[int, bytes]]) -> tuple[IdArray, Matrix]:
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        blob = b"".join(row[1] for row in rows)
        matrix = np.frombuffer(blob, dtype=np.float32).reshape(len(rows), -1)
        self._check_dimension(matrix, stored=True)
        return ids, matrix

    # -- documents -------------------------------------------------------------------------

    def _insert(self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix) -> Stored:
        """Store the document, or find it stored; a new version of a source takes the old
        one's place in the same transaction. The dense indexes (memory) take the new chunks
        before the commit; the keyword index (disk: it could fail on a full one, after which
        nothing may be committed) right after it; and when a version is replaced, searches
        wait from the commit until the old chunks are out of every index, so a search finds
        one version or the other (hydrate() keeps whichever is committed), never neither."""
        undo: list[Callable[[], None]] = []
        with self._indexing, ExitStack() as swap:
            with self.file.transaction(undo) as conn:
                current = self._current(conn, record)
                if current is not None and current.content_hash == record.content_hash:
                    return Stored(current, False)
                old = _delete_rows(conn, current.id) if current else None
                if current is not None:
                    record = dataclasses.replace(record, version=current.version + 1)
                added = _insert_rows(conn, record, chunks, embeddings)
                self._index_vectors(added, embeddings)
                undo.append(lambda: self._unindex_vectors(added))
                if old is not None:  # from the commit to the old chunks' removal: one swap
                    swap.enter_context(self._swap.swapping())
            self._index_texts(record, chunks, added)
            if old is not None:
                self._unindex(old)
        return Stored(record, True, current.id if current else None)

    def _index_vectors(self, rows: Rows, embeddings: Matrix) -> None:
        if not self._bulk_load:
            _, collection, chunk_ids = rows
            self._ann.add(chunk_ids, embeddings)
            self._collections.added(collection, chunk_ids, embeddings)

    def _unindex_vectors(self, rows: Rows) -> None:
        if not self._bulk_load:
            _, collection, chunk_ids = rows
            self._ann.remove(chunk_ids)
            self._collections.removed(collection, chunk_ids)

    def _index_texts(self, record: DocumentRecord, chunks: list[ChunkRow], rows: Rows) -> None:
        if not self._bulk_load:
            doc_rowid, _, chunk_ids = rows
            titled = [titled_text(record.title, chunk.text) for chunk in chunks]
            self._keyword.add(chunk_ids.tolist(), doc_rowid, titled)

    def _unindex(self, rows: Rows) -> None:
        """Out of every index: a document's chunks, deleted."""
        self._unindex_vectors(rows)
        if not self._bulk_load:
            self._keyword.remove(rows[2].tolist())

    def delete_document(self, document_id: str) -> None:
        with self._indexing, ExitStack() as swap:
            with self.file.transaction() as conn:
                deleted = _delete_rows(conn, document_id)
                swap.enter_context(self._swap.swapping())
            self._unindex(deleted)

    def consistent(self) -> AbstractContextManager[None]:
        """Searches and hydrate() inside see the store and its indexes in step."""
        return self._swap.searching()

    @contextmanager
    def bulk_copy(self) -> Iterator[None]:
        """Rows go in as they come: the indexes take them one document at a time."""
        yield

    # -- search ----------------------------------------------------------------------------

    def _scope(self, conn: sqlite3.Connection, filters: Filters) -> tuple[Docs, int]:
        rowids, chunks = self._allowed_docs(conn, filters)
        return (json.dumps(rowids), chunks), chunks

    def _allowed_docs(self, conn: sqlite3.Connection, filters: Filters) -> tuple[list[int], int]:
        """The rowids of the documents the filters allow, and their chunk total."""
        clauses, params = _filter_sql(filters)
        rows = conn.execute(
            f"SELECT rowid, chunk_count FROM documents d WHERE {clauses}", params
        ).fetchall()
        return [row[0] for row in rows], sum(row[1] for row in rows)

    def _index_search(
        self, conn: sqlite3.Connection, query: Matrix, k: int, scope: Docs | None
    ) -> Scored:
        if scope is None:
            return self._ann.search(query, k)
        docs, allowed = scope
        candidates = self._ann.search(query, widened(k, max(len(self._ann), 1), allowed))
        inside = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM chunks WHERE id IN (SELECT value FROM json_each(?)) "
                "AND doc_rowid IN (SELECT value FROM json_each(?))",
                (json.dumps([c for c, _ in candidates]), docs),
            )
        }
        return [(c, score) for c, score in candidates if c in inside][:k]

    def _exact_search(self, conn: sqlite3.Connection, query: Matrix, k: int, scope: Docs) -> Scored:
        rows = conn.execute(
            "SELECT id, embedding FROM chunks WHERE doc_rowid IN (SELECT value FROM json_each(?))",
            (scope[0],),
        ).fetchall()
        if not rows:
            return []
        ids, vectors = self._matrix(rows)
        return exact_search(query, k, ids, vectors)

    def dense_search(self, query: Matrix, k: int, filters: Filters) -> Scored:
        if filters.only_collections:
            return self._collections.dense(query, k, filters.collections or ())
        return super().dense_search(query, k, filters)

    def keyword_search(self, query: str, k: int, filters: Filters) -> Scored:
        if filters.only_collections:
            return self._collections.keyword(query, k, filters.collections or ())
        allowed = None
        if not filters.empty:
            allowed = self._allowed_docs(self.file.reader(), filters)[0]
        return self._keyword.search(query, k, allowed)


def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.document_ids:
        clauses.append(f"d.id IN ({', '.join('?' * len(filters.document_ids))})")
        params.extend(filters.document_ids)
    for key, value in filters.metadata:
        clauses.append("json_extract(d.metadata, ?) = ?")
        params.extend([f'$."{key}"', value])
    if filters.collections is not None:
        clause, names = in_collections(filters.collections, "?")
        clauses.append(clause)
        params.extend(names)
    return " AND ".join(clauses) or "1", params


def _delete_rows(conn: sqlite3.Connection, document_id: str) -> Rows:
    """Delete a document and its chunks: (its rowid, its collection's id, its chunks' ids)."""
    row = conn.execute(
        "SELECT rowid, collection_id FROM documents WHERE id = ?", (document_id,)
    ).fetchone()
    if row is None:
        raise no_document(document_id)
    chunk_ids = np.fromiter(
        (r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_rowid = ?", row[:1])),
        dtype=np.int64,
    )
    conn.execute("DELETE FROM chunks WHERE doc_rowid = ?", (row[0],))
    conn.execute("DELETE FROM documents WHERE rowid = ?", (row[0],))
    return int(row[0]), int(row[1]), chunk_ids


def _insert_rows(
    conn: sqlite3.Connection, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
) -> Rows:
    """(the document's rowid, its collection's id, its chunks' ids)."""
    collection = conn.execute(
        "SELECT id FROM collections WHERE name = ?", (record.collection,)
    ).fetchone()
    if collection is None:  # deleted since the upload was accepted
        raise no_collection(record.collection)
    cursor = conn.execute(
        f"INSERT INTO documents ({DOC_COLUMNS}, collection_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.id,
            record.title,
            record.content_hash,
            record.media_type,
            record.source_name,
            json.dumps(record.metadata),
            record.char_count,
            record.chunk_count,
            record.created_at,
            record.source,
            record.version,
            collection[0],
        ),
    )
    doc_rowid = int(cursor.lastrowid or 0)
    last = int(
        conn.execute("SELECT value FROM counters WHERE name = 'last_chunk_id'").fetchone()[0]
    )
    chunk_ids = np.arange(last + 1, last + 1 + len(chunks), dtype=np.int64)
    vectors = np.asarray(embeddings, dtype=np.float32)
    conn.executemany(
        "INSERT INTO chunks (id, doc_rowid, position, text, start_char, end_char, embedding, "
        "place) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                int(i),
                doc_rowid,
                c.position,
                c.text,
                c.start,
                c.end,
                v.tobytes(),
                json.dumps(c.place),
            )
            for i, c, v in zip(chunk_ids, chunks, vectors, strict=True)
        ),
    )
    conn.execute(
        "UPDATE counters SET value = ? WHERE name = 'last_chunk_id'", (last + len(chunks),)
    )
    return doc_rowid, int(collection[0]), chunk_ids
