"""The embedded default store: one SQLite file in WAL mode under the storage dir.

One writer at a time (a lock around a dedicated connection), any number of readers
on their own connections: WAL lets readers keep answering while a document is written.
A document, its chunks and their embeddings are written in one transaction, so after a
crash a document is either wholly there or absent. Search goes
through two indexes derived from those rows and kept beside the file: HNSW over the
embeddings (src/store/ann.py; a filtered search over few chunks scans them exactly instead)
and BM25 over the texts (src/store/keyword.py).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from src.embedding import Matrix
from src.errors import StorageFullError, StoreError
from src.models import (
    ChunkRow,
    DocumentRecord,
    Filters,
    Hit,
    JobRecord,
    JobStatus,
    SourceDocument,
    StoredChunk,
)
from src.store.ann import AnnIndex, AnnParams, Autosave, IdArray, exact_search
from src.store.keyword import KeywordIndex, titled_text
from src.store.migrations import migrate
from src.store.properties import EmbeddingSpace, read_space, write_space
from src.store.rows import (
    CHUNK_COLUMNS,
    DOC_COLUMNS,
    JOB_COLUMNS,
    document_record,
    hit,
    job_changes,
    job_record,
    no_document,
    no_job,
    now,
    stored_chunk,
)
from src.store.segmentation import Segmenter

# A filtered dense search over at most this many chunks scans them exactly (measured: ~10 ms
# for 20k at 384 dimensions); past it the HNSW candidates are filtered instead.
EXACT_MAX_CHUNKS = 20_000
# Rows per batch when reading embeddings back from the store.
READ_BATCH = 4096


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


@contextmanager
def disk_full_as_error() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_FULL:
            raise
        raise StorageFullError(
            "the store's disk is full: nothing was stored",
            hint="free space on the volume that holds RAG_STORAGE_DIR, then retry",
        ) from exc


class SQLiteStore:
    def __init__(
        self,
        path: Path,
        dimension: int,
        ann: AnnParams | None = None,
        save_seconds: float = 60.0,
        bulk_load: bool = False,
        segmenter: Segmenter | None = None,
        model: str | None = None,
    ) -> None:
        """`bulk_load`: writes skip the search indexes, which the next open (a normal one)
        brings up to date in bulk, on every core; searches are meaningless meanwhile.
        `model`: the embedding model's name, recorded with the store by the first open and
        checked by every later one (None: not checked, for tools that bring their own)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = connect(path)
            migrate(self._writer)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self._path = path
        self._dimension = dimension
        self._write_lock = threading.Lock()
        self._bulk_load = bulk_load
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        if model is not None:
            self._claim(EmbeddingSpace(model, dimension))
        stored = self._chunk_ids()
        params = dataclasses.replace(ann or AnnParams(dimension), model=model or "")
        self._ann = AnnIndex(path.with_name(path.stem + ".hnsw"), params)
        self._ann.open(stored, self._embeddings)
        self._keyword = KeywordIndex(path.with_name(path.stem + ".keyword"), segmenter)
        self._keyword.open(stored, self._texts)
        self._autosave = Autosave(self._ann, save_seconds)

    # -- connections -------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, disk_full_as_error():
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                self._writer.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk can do that); a COMMIT
                # that failed leaves the transaction open.
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._autosave.stop()
        self._ann.save_if_changed()
        self._keyword.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

    def _claim(self, space: EmbeddingSpace) -> None:
        """Record the model a store's vectors come from, or refuse another one while the
        store holds any chunk."""
        with self._transaction() as conn:
            recorded = read_space(conn)
            if recorded == space:
                return
            if recorded is not None and conn.execute("SELECT 1 FROM chunks").fetchone():
                raise StoreError(
                    f"the store at {self._path} holds embeddings of {recorded}, "
                    f"but the service is configured for {space}: one store never mixes models",
                    hint="switch the store with `python -m src.reindex` (it re-embeds every "
                    "chunk with the configured model), or configure the store's model again",
                )
            write_space(conn, space)

    @property
    def space(self) -> EmbeddingSpace | None:
        return read_space(self._reader())

    def _chunk_ids(self) -> IdArray:
        # Unordered, so SQLite reads the ids from the small (doc, position) index instead of
        # every chunk's text and vector (at 1M chunks, 3.9 GB read from disk on a cold start).
        rows = self._reader().execute("SELECT id FROM chunks")
        return np.sort(np.fromiter((row[0] for row in rows), dtype=np.int64))

    def _batches(self, select: str, ids: IdArray | None) -> Iterator[list[Any]]:
        """Rows of `select` (whose chunks are `c`), READ_BATCH at a time, in chunk id order:
        of every chunk, or of the chunks `ids`."""
        conn = self._reader()
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
        self._check_dimension(matrix)
        return ids, matrix

    def _check_dimension(self, matrix: Matrix) -> None:
        if matrix.shape[1] != self._dimension:
            raise StoreError(
                f"the store holds {matrix.shape[1]}-dimensional embeddings but the model "
                f"makes {self._dimension}-dimensional ones",
                hint="use the model the store was built with, or a new RAG_STORAGE_DIR",
            )

    # -- documents ---------------------------------------------------------------------

    def add_document(
        self, source: SourceDocument, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        return self.put_document(DocumentRecord.of(source, len(chunks), now()), chunks, embeddings)

    def put_document(
        self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        self._check_dimension(embeddings)
        with self._transaction() as conn:
            existing = conn.execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE content_hash = ?",
                (record.content_hash,),
            ).fetchone()
            if existing:
                return document_record(existing), False
            doc_rowid, chunk_ids = self._insert(conn, record, chunks, embeddings)
        if self._bulk_load:
            return record, True
        self._ann.add(chunk_ids, embeddings)
        titled = [titled_text(record.title, chunk.text) for chunk in chunks]
        self._keyword.add(chunk_ids.tolist(), doc_rowid, titled)
        return record, True

    def export_documents(self) -> Iterator[tuple[DocumentRecord, list[ChunkRow], Matrix]]:
        """Every document with its chunks and their embeddings, oldest first."""
        conn = self._reader()
        rowids = [r[0] for r in conn.execute("SELECT rowid FROM documents ORDER BY rowid")]
        for rowid in rowids:
            row = conn.execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE rowid = ?", (rowid,)
            ).fetchone()
            if row is None:  # deleted meanwhile
                continue
            chunks = conn.execute(
                "SELECT position, text, start_char, end_char, embedding FROM chunks "
                "WHERE doc_rowid = ? ORDER BY position",
                (rowid,),
            ).fetchall()
            vectors = np.frombuffer(b"".join(c[4] for c in chunks), dtype=np.float32)
            yield (
                document_record(row),
                [ChunkRow(*c[:4]) for c in chunks],
                vectors.reshape(len(chunks), self._dimension),
            )

    @staticmethod
    def _insert(
        conn: sqlite3.Connection, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[int, IdArray]:
        cursor = conn.execute(
            f"INSERT INTO documents ({DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )
        doc_rowid = int(cursor.lastrowid or 0)
        last = int(
            conn.execute("SELECT value FROM counters WHERE name = 'last_chunk_id'").fetchone()[0]
        )
        chunk_ids = np.arange(last + 1, last + 1 + len(chunks), dtype=np.int64)
        vectors = np.asarray(embeddings, dtype=np.float32)
        conn.executemany(
            "INSERT INTO chunks (id, doc_rowid, position, text, start_char, end_char, embedding)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (int(i), doc_rowid, c.position, c.text, c.start, c.end, v.tobytes())
                for i, c, v in zip(chunk_ids, chunks, vectors, strict=True)
            ),
        )
        conn.execute(
            "UPDATE counters SET value = ? WHERE name = 'last_chunk_id'", (last + len(chunks),)
        )
        return doc_rowid, chunk_ids

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        row = (
            self._reader()
            .execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE content_hash = ?",
                (content_hash,),
            )
            .fetchone()
        )
        return document_record(row) if row else None

    def get_document(self, document_id: str) -> DocumentRecord:
        row = (
            self._reader()
            .execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE id = ?",
                (document_id,),
            )
            .fetchone()
        )
        if row is None:
            raise no_document(document_id)
        return document_record(row)

    def list_documents(self, limit: int, offset: int) -> tuple[list[DocumentRecord], int]:
        conn = self._reader()
        total = int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
        rows = conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents "
            "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [document_record(row) for row in rows], total

    def list_chunks(self, document_id: str, limit: int, offset: int) -> list[StoredChunk]:
        conn = self._reader()
        row = conn.execute("SELECT rowid FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise no_document(document_id)
        rows = conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc_rowid = ? "
            "ORDER BY position LIMIT ? OFFSET ?",
            (row[0], limit, offset),
        ).fetchall()
        return [stored_chunk(r) for r in rows]

    def delete_document(self, document_id: str) -> None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT rowid FROM documents WHERE id = ?", (document_id,)
            ).fetchone()
            if row is None:
                raise no_document(document_id)
            chunk_ids = np.fromiter(
                (r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_rowid = ?", row)),
                dtype=np.int64,
            )
            conn.execute("DELETE FROM chunks WHERE doc_rowid = ?", (row[0],))
            conn.execute("DELETE FROM documents WHERE rowid = ?", (row[0],))
        # Until these lines a search may still find these chunks in an index; hydrate() reads
        # the committed store and drops them, so they are never served.
        self._ann.remove(chunk_ids)
        self._keyword.remove_document(int(row[0]))

    def counts(self) -> tuple[int, int]:
        conn = self._reader()
        documents = int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
        return documents, len(self._ann)

    # -- search ------------------------------------------------------------------------

    def _allowed_docs(self, filters: Filters) -> tuple[list[int], int]:
        """The rowids of the documents the filters allow, and their chunk total."""
        clauses, params = self._filter_sql(filters)
        rows = (
            self._reader()
            .execute(f"SELECT rowid, chunk_count FROM documents d WHERE {clauses}", params)
            .fetchall()
        )
        return [row[0] for row in rows], sum(row[1] for row in rows)

    @staticmethod
    def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.document_ids:
            clauses.append(f"d.id IN ({', '.join('?' * len(filters.document_ids))})")
            params.extend(filters.document_ids)
        for key, value in filters.metadata:
            clauses.append("json_extract(d.metadata, ?) = ?")
            params.extend([f'$."{key}"', value])
        return " AND ".join(clauses) or "1", params

    def dense_search(self, query: Matrix, k: int, filters: Filters) -> list[tuple[int, float]]:
        if filters.empty:
            return self._ann.search(query, k)
        rowids, allowed = self._allowed_docs(filters)
        docs = json.dumps(rowids)
        if allowed <= EXACT_MAX_CHUNKS:
            return self._exact_in(query, k, docs)
        return self._ann_in(query, k, docs, allowed) or self._exact_in(query, k, docs)

    def _exact_in(self, query: Matrix, k: int, docs: str) -> list[tuple[int, float]]:
        rows = (
            self._reader()
            .execute(
                "SELECT id, embedding FROM chunks "
                "WHERE doc_rowid IN (SELECT value FROM json_each(?))",
                (docs,),
            )
            .fetchall()
        )
        if not rows:
            return []
        ids, vectors = self._matrix(rows)
        return exact_search(query, k, ids, vectors)

    def _ann_in(self, query: Matrix, k: int, docs: str, allowed: int) -> list[tuple[int, float]]:
        """HNSW candidates, enough of them that about 2k fall inside the filter; [] when
        that still leaves fewer than k (the caller then scans exactly)."""
        total = max(len(self._ann), 1)
        count = min(total, 2 * k * total // max(allowed, 1) + 32)
        candidates = self._ann.search(query, count)
        inside = {
            row[0]
            for row in self._reader().execute(
                "SELECT id FROM chunks WHERE id IN (SELECT value FROM json_each(?)) "
                "AND doc_rowid IN (SELECT value FROM json_each(?))",
                (json.dumps([c for c, _ in candidates]), docs),
            )
        }
        kept = [(c, score) for c, score in candidates if c in inside][:k]
        return kept if len(kept) == k else []

    def keyword_search(self, query: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        allowed = None if filters.empty else self._allowed_docs(filters)[0]
        return self._keyword.search(query, k, allowed)

    def hydrate(self, scored: list[tuple[int, float]]) -> list[Hit]:
        if not scored:
            return []
        ids = [chunk_id for chunk_id, _ in scored]
        rows = (
            self._reader()
            .execute(
                "SELECT c.id, d.id, d.title, c.position, c.text, c.start_char, c.end_char "
                "FROM chunks c JOIN documents d ON d.rowid = c.doc_rowid "
                f"WHERE c.id IN ({', '.join('?' * len(ids))})",
                ids,
            )
            .fetchall()
        )
        by_id = {row[0]: row for row in rows}
        # A chunk deleted between search and hydrate is simply dropped.
        return [hit(by_id[chunk_id], score) for chunk_id, score in scored if chunk_id in by_id]

    # -- jobs --------------------------------------------------------------------------

    def create_job(self, total_chunks: int) -> JobRecord:
        created = now()
        job = JobRecord(
            uuid.uuid4().hex, JobStatus.QUEUED, total_chunks, 0, [], "", created, created
        )
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.status.value, total_chunks, 0, "[]", "", created, created),
            )
        return job

    def update_job(self, job_id: str, **changes: Any) -> None:
        values = job_changes(changes)
        assignments = ", ".join(f"{column} = ?" for column in values)
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                [*values.values(), now(), job_id],
            )

    def get_job(self, job_id: str) -> JobRecord:
        row = (
            self._reader()
            .execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?",
                (job_id,),
            )
            .fetchone()
        )
        if row is None:
            raise no_job(job_id)
        return job_record(row)

    def fail_unfinished_jobs(self, reason: str) -> int:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE status IN (?, ?)",
                (
                    JobStatus.FAILED.value,
                    reason,
                    now(),
                    JobStatus.QUEUED.value,
                    JobStatus.RUNNING.value,
                ),
            )
        return cursor.rowcount
