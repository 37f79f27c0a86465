"""The server store: Postgres with pgvector, for several replicas sharing one knowledge base
(chosen by RAG_DATABASE_URL; unset, the embedded SQLite store serves).

Everything lives in the database, nothing beside it: a document, its chunks, their
embeddings and their keyword terms are written in one transaction (after a crash or a killed
connection a document is whole or absent), and every replica sees a write once it commits.
Dense search is pgvector's HNSW index (cosine); keyword search is Postgres full-text search
over the same terms the embedded store indexes (CJK runs segmented into words and bigrams,
src/store/segmentation.py), ranked by ts_rank (src/store/pg_keyword.py). Content-hash
dedupe is a unique constraint, so two replicas storing the same file at once store it once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
from src.store.keyword import titled_text
from src.store.pg_database import Connection, Database, parse_vector, vector_literal
from src.store.pg_keyword import TEXT_CONFIG, KeywordQuery
from src.store.pg_migrations import MIGRATION_LOCK, migrate
from src.store.properties import EmbeddingSpace
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
    stored_chunk,
)
from src.store.segmentation import Segmenter
from src.store.terms import query_terms

# The same rule as the embedded store: a filtered dense search over at most this many chunks
# scans them exactly; past it, the HNSW walk goes on until top_k pass the filter.
EXACT_MAX_CHUNKS = 20_000
# pgvector's HNSW indexes vectors of up to 2,000 dimensions; wider ones are searched exactly.
HNSW_MAX_DIMENSIONS = 2_000
# maintenance_work_mem for building the HNSW index: 100k vectors of 384 dimensions take ~200 MB.
BUILD_MEMORY = "512MB"
# pgvector's largest hnsw.ef_search.
EF_SEARCH_MAX = 1_000


def _json_text(value: object) -> str:
    # jsonb refuses the escaped NUL as Postgres text refuses the character (pg_database.py).
    return json.dumps(value).replace("\\u0000", "\\ufffd")


def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    """A condition on documents `d` that the filters allow, and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.document_ids:
        clauses.append("d.id = ANY(%s)")
        params.append(list(filters.document_ids))
    for key, value in filters.metadata:
        clauses.append("d.metadata @> %s::jsonb")  # exact type match, like json_extract = ?
        params.append(_json_text({key: value}))
    return " AND ".join(clauses) or "true", params


def recorded_space(url: str) -> EmbeddingSpace | None:
    """The model whose vectors the database at `url` holds, read without opening a store."""
    database = Database(url, 1)
    try:
        with database.connection() as conn:
            migrate(conn)
            return _space(PostgresStore.properties(conn))
    finally:
        database.close()


def _space(found: dict[str, str]) -> EmbeddingSpace | None:
    if "embedding_model" not in found:
        return None
    return EmbeddingSpace(found["embedding_model"], int(found["embedding_dimension"]))


def _within(where: str, *conditions: str) -> str:
    """A WHERE clause for chunks `c`: the conditions, and documents `d` matching `where`."""
    if where:
        conditions = (*conditions, f"c.document_id IN (SELECT d.id FROM documents d WHERE {where})")
    return f"WHERE {' AND '.join(conditions)} " if conditions else ""


class PostgresStore:
    def __init__(
        self,
        database: Database,
        dimension: int,
        ef_search: int = 256,
        segmenter: Segmenter | None = None,
        model: str | None = None,
    ) -> None:
        """`model`: as for SQLiteStore, recorded by the first open and checked by the next."""
        self.database = database
        self._dimension = dimension
        self._ef_search = ef_search
        self._segmenter = segmenter or Segmenter()
        self._keyword = KeywordQuery()
        with database.connection() as conn:
            migrate(conn)
        if model is not None:
            self._claim(EmbeddingSpace(model, dimension))
        self._reanalyse_if_needed()

    @classmethod
    def connect(
        cls,
        url: str,
        pool_size: int,
        dimension: int,
        ef_search: int = 256,
        segmenter: Segmenter | None = None,
        model: str | None = None,
    ) -> PostgresStore:
        """The store in the database at `url`, on a pool of its own (closed again if the
        store cannot be opened)."""
        database = Database(url, pool_size)
        try:
            return cls(database, dimension, ef_search, segmenter, model)
        except BaseException:
            database.close()
            raise

    def close(self) -> None:
        self.database.close()

    # -- properties ------------------------------------------------------------------------

    @staticmethod
    def properties(conn: Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT name, value FROM properties").fetchall())

    @staticmethod
    def _set_properties(conn: Connection, values: dict[str, str]) -> None:
        conn.cursor().executemany(
            "INSERT INTO properties (name, value) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    @property
    def space(self) -> EmbeddingSpace | None:
        with self.database.connection() as conn:
            return _space(self.properties(conn))

    def _claim(self, space: EmbeddingSpace) -> None:
        """Record the model the vectors come from, sizing the embedding column and its HNSW
        index for it; or refuse another model while the store holds any chunk."""
        with self.database.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            recorded = _space(self.properties(conn))
            if recorded == space:
                self._index_embeddings(conn, space.dimension)  # a bulk copy cut short dropped it
                return
            if recorded is not None and conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
                raise StoreError(
                    f"the database at {self.database.where} holds embeddings of {recorded}, but "
                    f"the service is configured for {space}: one store never mixes models",
                    hint="configure the store's model again, or use another database "
                    "(python -m src.transfer copies documents; vectors keep their model)",
                )
            self._size_embeddings(conn, space.dimension)
            self._set_properties(
                conn,
                {"embedding_model": space.model, "embedding_dimension": str(space.dimension)},
            )

    @staticmethod
    def _size_embeddings(conn: Connection, dimension: int) -> None:
        conn.execute("DROP INDEX IF EXISTS chunks_embedding")
        conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(dimension)})")
        PostgresStore._index_embeddings(conn, dimension)

    @staticmethod
    def _index_embeddings(conn: Connection, dimension: int, parallel: bool = True) -> None:
        """The HNSW index, unless it exists (or the vectors are too wide for one). Looked up
        first: CREATE INDEX IF NOT EXISTS would lock the table against writes even when the
        index is there, at every replica's start."""
        if dimension > HNSW_MAX_DIMENSIONS:
            return
        exists = conn.execute("SELECT to_regclass('chunks_embedding')").fetchone()
        if exists and exists[0] is not None:
            return
        # Built in memory when it fits: many times faster than spilling to disk.
        conn.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        if not parallel:
            conn.execute("SET LOCAL max_parallel_maintenance_workers = 0")
        conn.execute(
            "CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks "
            "USING hnsw (embedding vector_cosine_ops)"
        )

    @contextmanager
    def bulk_copy(self) -> Iterator[None]:
        """For filling an empty store (a transfer): the HNSW index is dropped and built once
        at the end, in one pass, instead of row by row. A copy cut short leaves it to the
        next open, which builds a missing index before serving."""
        with self.database.transaction() as conn:
            conn.execute("DROP INDEX IF EXISTS chunks_embedding")
        try:
            yield
        finally:
            try:
                with self.database.transaction() as conn:
                    self._index_embeddings(conn, self._dimension)
            except StorageFullError:
                # Parallel workers share the graph through /dev/shm, which a container
                # limits (Docker: 64 MB unless shm_size is raised): built by one process.
                with self.database.transaction() as conn:
                    self._index_embeddings(conn, self._dimension, parallel=False)

    def _reanalyse_if_needed(self) -> None:
        """Keyword terms made with another text analysis (another user dictionary, another
        segmentation version) are made again, all in one transaction: never half-indexed."""
        with self.database.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            if self.properties(conn).get("keyword_analysis") == self._segmenter.fingerprint:
                return
            last = 0
            while rows := conn.execute(
                "SELECT c.id, d.title, c.text FROM chunks c JOIN documents d "
                "ON d.id = c.document_id WHERE c.id > %s ORDER BY c.id LIMIT 1000",
                (last,),
            ).fetchall():
                conn.execute(
                    "UPDATE chunks c SET terms = to_tsvector(%s::regconfig, u.analysed) "
                    "FROM unnest(%s::bigint[], %s::text[]) AS u(id, analysed) WHERE c.id = u.id",
                    (TEXT_CONFIG, [r[0] for r in rows], [self._analysed(r[1], r[2]) for r in rows]),
                )
                last = rows[-1][0]
            self._set_properties(conn, {"keyword_analysis": self._segmenter.fingerprint})

    def _analysed(self, title: str, text: str) -> str:
        return self._segmenter.expand(titled_text(title, text))

    # -- documents -------------------------------------------------------------------------

    def add_document(
        self, source: SourceDocument, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        return self.put_document(DocumentRecord.of(source, len(chunks)), chunks, embeddings)

    def put_document(
        self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> tuple[DocumentRecord, bool]:
        """Store a document as it is recorded (its id and, when set, its creation time), or
        find the one with its content hash: (stored record, created)."""
        self._check_dimension(embeddings)
        with self.database.transaction() as conn:
            row = conn.execute(
                f"INSERT INTO documents ({DOC_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s::timestamptz, now())) "
                f"ON CONFLICT (content_hash) DO NOTHING RETURNING {DOC_COLUMNS}",
                (
                    record.id,
                    record.title,
                    record.content_hash,
                    record.media_type,
                    record.source_name,
                    _json_text(record.metadata),
                    record.char_count,
                    record.chunk_count,
                    record.created_at or None,
                ),
            ).fetchone()
            if row is None:  # stored already, perhaps by another replica a moment ago
                existing = self._by_hash(conn, record.content_hash)
                if existing is None:
                    raise StoreError(f"document {record.id} conflicts with a stored one")
                return existing, False
            self._insert_chunks(conn, record, chunks, embeddings)
        return document_record(row), True

    def export_documents(self) -> Iterator[tuple[DocumentRecord, list[ChunkRow], Matrix]]:
        """Every document with its chunks and their embeddings, oldest first."""
        with self.database.connection() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY created_at, id")]
        for document_id in ids:
            with self.database.transaction() as conn:
                row = conn.execute(
                    f"SELECT {DOC_COLUMNS} FROM documents WHERE id = %s", (document_id,)
                ).fetchone()
                chunks = conn.execute(
                    "SELECT position, text, start_char, end_char, embedding::text FROM chunks "
                    "WHERE document_id = %s ORDER BY position",
                    (document_id,),
                ).fetchall()
            if row is None:  # deleted meanwhile
                continue
            vectors = [parse_vector(c[4]) for c in chunks]
            matrix = np.stack(vectors) if vectors else np.zeros((0, self._dimension), np.float32)
            yield document_record(row), [ChunkRow(*c[:4]) for c in chunks], matrix

    def _insert_chunks(
        self, conn: Connection, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> None:
        conn.execute(
            "INSERT INTO chunks (document_id, position, text, start_char, end_char, embedding, "
            "terms) SELECT %s, u.position, u.text, u.start_char, u.end_char, u.embedding::vector, "
            "to_tsvector(%s::regconfig, u.analysed) FROM unnest(%s::int[], %s::text[], "
            "%s::int[], %s::int[], %s::text[], %s::text[]) "
            "AS u(position, text, start_char, end_char, embedding, analysed)",
            (
                record.id,
                TEXT_CONFIG,
                [c.position for c in chunks],
                [c.text for c in chunks],
                [c.start for c in chunks],
                [c.end for c in chunks],
                [vector_literal(v) for v in embeddings],
                [self._analysed(record.title, c.text) for c in chunks],
            ),
        )

    def _check_dimension(self, matrix: Matrix) -> None:
        if matrix.ndim == 2 and matrix.shape[1] != self._dimension:
            raise StoreError(
                f"embeddings of {matrix.shape[1]} dimensions for a store of {self._dimension}"
            )

    @staticmethod
    def _by_hash(conn: Connection, content_hash: str) -> DocumentRecord | None:
        row = conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE content_hash = %s", (content_hash,)
        ).fetchone()
        return document_record(row) if row else None

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        with self.database.connection() as conn:
            return self._by_hash(conn, content_hash)

    def get_document(self, document_id: str) -> DocumentRecord:
        with self.database.connection() as conn:
            row = conn.execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE id = %s", (document_id,)
            ).fetchone()
        if row is None:
            raise no_document(document_id)
        return document_record(row)

    def list_documents(self, limit: int, offset: int) -> tuple[list[DocumentRecord], int]:
        with self.database.connection() as conn:
            total = conn.execute("SELECT count(*) FROM documents").fetchone()
            rows = conn.execute(
                f"SELECT {DOC_COLUMNS} FROM documents "
                "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
        return [document_record(row) for row in rows], int(total[0] if total else 0)

    def list_chunks(self, document_id: str, limit: int, offset: int) -> list[StoredChunk]:
        with self.database.connection() as conn:
            found = conn.execute("SELECT 1 FROM documents WHERE id = %s", (document_id,))
            if found.fetchone() is None:
                raise no_document(document_id)
            rows = conn.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE document_id = %s "
                "ORDER BY position LIMIT %s OFFSET %s",
                (document_id, limit, offset),
            ).fetchall()
        return [stored_chunk(r) for r in rows]

    def delete_document(self, document_id: str) -> None:
        with self.database.transaction() as conn:
            deleted = conn.execute("DELETE FROM documents WHERE id = %s", (document_id,))
            if deleted.rowcount == 0:
                raise no_document(document_id)

    def counts(self) -> tuple[int, int]:
        with self.database.connection() as conn:
            row = conn.execute(
                "SELECT count(*), coalesce(sum(chunk_count), 0) FROM documents"
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # -- search ----------------------------------------------------------------------------

    def dense_search(self, query: Matrix, k: int, filters: Filters) -> list[tuple[int, float]]:
        vector = vector_literal(np.asarray(query).reshape(-1))
        ef_search = str(min(EF_SEARCH_MAX, max(self._ef_search, 2 * k)))
        # Session settings, one round trip, set by every dense search for itself (SET LOCAL
        # would need a transaction: two more round trips).
        with self.database.connection() as conn:
            if filters.empty:
                self._settings(conn, ef_search, "off")
                return self._ann(conn, vector, k)
            where, params = _filter_sql(filters)
            allowed = self._allowed_chunks(conn, where, params)
            if allowed > EXACT_MAX_CHUNKS:
                # Walks on past candidates the filter drops until k pass it (pgvector 0.8).
                self._settings(conn, ef_search, "strict_order")
                found = self._ann(conn, vector, k, where, params)
                if len(found) == min(k, allowed):
                    return found
            return self._exact(conn, vector, k, where, params)

    @staticmethod
    def _settings(conn: Connection, ef_search: str, iterative_scan: str) -> None:
        conn.execute(
            "SELECT set_config('hnsw.ef_search', %s, false), "
            "set_config('hnsw.iterative_scan', %s, false)",
            (ef_search, iterative_scan),
        )

    @staticmethod
    def _allowed_chunks(conn: Connection, where: str, params: list[Any]) -> int:
        row = conn.execute(
            f"SELECT coalesce(sum(chunk_count), 0) FROM documents d WHERE {where}", params
        ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _ann(
        conn: Connection, vector: str, k: int, where: str = "", params: list[Any] | None = None
    ) -> list[tuple[int, float]]:
        rows = conn.execute(
            "SELECT c.id, 1 - (c.embedding <=> %s::vector) FROM chunks c "
            + _within(where)
            + "ORDER BY c.embedding <=> %s::vector LIMIT %s",
            [vector, *(params or []), vector, k],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    @staticmethod
    def _exact(
        conn: Connection, vector: str, k: int, where: str, params: list[Any]
    ) -> list[tuple[int, float]]:
        # A materialised CTE cannot be read through the HNSW index: every allowed chunk is
        # scored, so the top k are exact and always k when k are allowed.
        rows = conn.execute(
            "WITH allowed AS MATERIALIZED (SELECT c.id, c.embedding FROM chunks c "
            + _within(where)
            + ") "
            "SELECT id, 1 - (embedding <=> %s::vector) AS score FROM allowed "
            "ORDER BY score DESC, id LIMIT %s",
            [*params, vector, k],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def keyword_search(self, query: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        # Letters and digits only (query_terms), OR-ed: the user's text is never query syntax.
        words = query_terms(self._segmenter.expand(query))
        if not words or k <= 0:
            return []
        params: list[Any] = []
        within = ""  # unfiltered: no condition on documents
        if not filters.empty:
            where, params = _filter_sql(filters)
            within = f"AND c.document_id IN (SELECT d.id FROM documents d WHERE {where})"
        with self.database.connection() as conn:
            return self._keyword.search(conn, words, k, within, params)

    def hydrate(self, scored: list[tuple[int, float]]) -> list[Hit]:
        if not scored:
            return []
        with self.database.connection() as conn:
            rows = conn.execute(
                "SELECT c.id, d.id, d.title, c.position, c.text, c.start_char, c.end_char "
                "FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY(%s)",
                ([chunk_id for chunk_id, _ in scored],),
            ).fetchall()
        by_id = {row[0]: row for row in rows}
        # A chunk deleted between search and hydrate is simply dropped.
        return [hit(by_id[c], s) for c, s in scored if c in by_id]

    # -- jobs ------------------------------------------------------------------------------

    def create_job(self, total_chunks: int, payload: bytes | None = None) -> JobRecord:
        with self.database.transaction() as conn:
            row = conn.execute(
                "INSERT INTO jobs (id, status, total_chunks, payload) VALUES (%s, %s, %s, %s) "
                f"RETURNING {JOB_COLUMNS}",
                (uuid.uuid4().hex, JobStatus.QUEUED.value, total_chunks, payload),
            ).fetchone()
        assert row is not None
        return job_record(row)

    def update_job(self, job_id: str, **changes: Any) -> None:
        values = job_changes(changes)
        assignments = ", ".join(f"{column} = %s" for column in values)
        with self.database.transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {assignments}, updated_at = now() WHERE id = %s",
                [*values.values(), job_id],
            )

    def get_job(self, job_id: str) -> JobRecord:
        with self.database.connection() as conn:
            row = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,)
            ).fetchone()
        if row is None:
            raise no_job(job_id)
        return job_record(row)

    def fail_unfinished_jobs(self, reason: str) -> int:
        # Other replicas run jobs too: an unfinished job is picked up again by the queue
        # (src/store/pg_jobs.py) once its runner's lease lapses, never failed wholesale.
        return 0
