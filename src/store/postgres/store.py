"""The server store: Postgres with pgvector, for several replicas sharing one knowledge base
(chosen by RAG_DATABASE_URL; unset, the embedded SQLite store serves).

Everything lives in the database, nothing beside it: a document, its chunks, their
embeddings and their keyword terms are written in one transaction (after a crash or a killed
connection a document is whole or absent), and every replica sees a write once it commits.
Dense search is pgvector's HNSW index (cosine); keyword search is Postgres full-text search
over the same terms the embedded store indexes (CJK runs segmented into words and bigrams,
src/text/segmentation.py), ranked by ts_rank (src/store/postgres/keyword.py). Content-hash
dedupe is a unique constraint, so two replicas storing the same file at once store it once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from src.errors import StorageFullError, StoreError
from src.models import ChunkRow, DocumentRecord, Filters, Matrix, Stored
from src.store.core import Row, Scored, StoreCore, in_collections
from src.store.postgres.database import Connection, Database, parse_vector, vector_literal
from src.store.postgres.keyword import TEXT_CONFIG, KeywordQuery
from src.store.postgres.migrations import MIGRATION_LOCK, migrate
from src.store.properties import EmbeddingSpace, space_of
from src.store.rows import DOC_COLUMNS, document_record, no_collection, no_document
from src.text.segmentation import Segmenter
from src.text.terms import query_terms, titled_text

# pgvector's HNSW indexes vectors of up to 2,000 dimensions; wider ones are searched exactly.
HNSW_MAX_DIMENSIONS = 2_000
# maintenance_work_mem for building the HNSW index: 100k vectors of 384 dimensions take ~200 MB.
BUILD_MEMORY = "512MB"
# pgvector's largest hnsw.ef_search.
EF_SEARCH_MAX = 1_000
# The snapshot connection of this thread's consistent() reads, if it is in one.
_pinned: ContextVar[Connection | None] = ContextVar("pinned_snapshot", default=None)
# pg_advisory_xact_lock's first key for storing a source (the second: its hash).
SOURCE_LOCK = 0x736F7572  # "sour"
# The documents a filter allows: a condition on documents `d` and its parameters.
Where = tuple[str, list[Any]]


def _json_text(value: object) -> str:
    # jsonb refuses the escaped NUL as Postgres text refuses the character (database.py).
    return json.dumps(value).replace("\\u0000", "\\ufffd")


def _filter_sql(filters: Filters) -> Where:
    """A condition on documents `d` that the filters allow, and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.document_ids:
        clauses.append("d.id = ANY(%s)")
        params.append(list(filters.document_ids))
    for key, value in filters.metadata:
        clauses.append("d.metadata @> %s::jsonb")  # exact type match, like json_extract = ?
        params.append(_json_text({key: value}))
    if filters.collections is not None:
        clause, names = in_collections(filters.collections, "%s")
        clauses.append(clause)
        params.extend(names)
    return " AND ".join(clauses) or "true", params


def _properties(conn: Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT name, value FROM properties").fetchall())


def recorded_space(database: Database) -> EmbeddingSpace | None:
    """The model whose vectors the database holds, read without opening a store."""
    with database.connection() as conn:
        migrate(conn)
        return space_of(_properties(conn))


def _within(where: str, *conditions: str) -> str:
    """A WHERE clause for chunks `c`: the conditions, and documents `d` matching `where`."""
    if where:
        conditions = (*conditions, f"c.document_id IN (SELECT d.id FROM documents d WHERE {where})")
    return f"WHERE {' AND '.join(conditions)} " if conditions else ""


class PostgresStore(StoreCore[Connection, Where]):
    PARAM = "%s"
    JOIN = "d.id = c.document_id"
    TIEBREAK = "id"
    OLDEST_FIRST = "created_at, id"
    VECTOR = "c.embedding::text"
    SWITCH_HINT = (
        "configure the store's model again, or use another database "
        "(python -m src.transfer copies documents; vectors keep their model)"
    )

    def __init__(
        self,
        database: Database,
        dimension: int,
        ef_search: int = 256,
        segmenter: Segmenter | None = None,
        model: str | None = None,
    ) -> None:
        """`model`: as for SQLiteStore, recorded by the first open and checked by the next."""
        super().__init__(dimension, f"the database at {database.where}")
        self.database = database
        self._ef_search = ef_search
        self._segmenter = segmenter or Segmenter()
        self._keyword = KeywordQuery()
        with database.connection() as conn:
            migrate(conn)
        if model is not None:
            self._claim(EmbeddingSpace(model, dimension))
        self._reanalyse_if_needed()

    # Every replica reads the one database, and the jobs' queue is in it: there is nothing
    # beside it to own or to catch up with.
    standby = False

    def refresh(self) -> None:
        """Nothing to take in: searches read the database itself."""

    def take_over(self) -> None:
        """Nothing kept beside the database."""

    def close(self) -> None:
        self.database.close()

    # -- the core's needs ------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        pinned = _pinned.get()
        if pinned is not None:
            yield pinned
            return
        with self.database.connection() as conn:
            yield conn

    @contextmanager
    def consistent(self) -> Iterator[None]:
        """Searches and hydrate() inside read one snapshot: a commit between them (a new
        version of a source, a delete) is seen by all of them or by none."""
        if _pinned.get() is not None:
            yield
            return
        with self._snapshot() as conn:
            token = _pinned.set(conn)
            try:
                yield
            finally:
                _pinned.reset(token)

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        with self.database.transaction() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield conn

    def _vectors(self, values: list[Any]) -> Matrix:
        if not values:
            return np.zeros((0, self._dimension), np.float32)
        return np.stack([parse_vector(value) for value in values])

    def _writing(self) -> AbstractContextManager[Connection]:
        return self.database.transaction()

    @contextmanager
    def _claiming(self) -> Iterator[Connection]:
        with self.database.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            yield conn

    def _rows(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> Sequence[Row]:
        return conn.execute(sql, params).fetchall()

    def _set_properties(self, conn: Connection, values: dict[str, str]) -> None:
        conn.cursor().executemany(
            "INSERT INTO properties (name, value) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def _record_space(self, conn: Connection, space: EmbeddingSpace, first: bool) -> None:
        """Size the embedding column and its HNSW index for the model; a store that has it
        already gets its index back if a bulk copy cut short dropped it."""
        if first:
            conn.execute("DROP INDEX IF EXISTS chunks_embedding")
            conn.execute(
                f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(space.dimension)})"
            )
        _index_embeddings(conn, space.dimension)

    def _new_created_at(self) -> str:
        return ""  # the database's clock, the same for every replica

    def _ids_in(self, ids: list[int]) -> tuple[str, list[Any]]:
        return "c.id = ANY(%s)", [ids]

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
                    _index_embeddings(conn, self._dimension)
            except StorageFullError:
                # Parallel workers share the graph through /dev/shm, which a container
                # limits (Docker: 64 MB unless shm_size is raised): built by one process.
                with self.database.transaction() as conn:
                    _index_embeddings(conn, self._dimension, parallel=False)

    def _reanalyse_if_needed(self) -> None:
        """Keyword terms made with another text analysis (another user dictionary, another
        segmentation version) are made again, all in one transaction: never half-indexed."""
        with self._claiming() as conn:
            if _properties(conn).get("keyword_analysis") == self._segmenter.fingerprint:
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

    def _insert(self, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix) -> Stored:
        """Store a document as it is recorded (its id and, when set, its creation time), or
        find it stored. A new version of a source replaces the old one in the same
        transaction; replicas storing one source at once queue on a lock, so exactly one
        version stays live."""
        with self.database.transaction() as conn:
            collection = conn.execute(
                "SELECT id FROM collections WHERE name = %s", (record.collection,)
            ).fetchone()
            if collection is None:  # deleted since the upload was accepted
                raise no_collection(record.collection)
            if record.source:
                key = f"{collection[0]}:{record.source}"
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SOURCE_LOCK, key))
            current = self._current(conn, record)
            if current is not None and current.content_hash == record.content_hash:
                return Stored(current, False)
            if current is not None:
                conn.execute("DELETE FROM documents WHERE id = %s", (current.id,))
                record = dataclasses.replace(record, version=current.version + 1)
            row = self._insert_document(conn, record, collection[0])
            if row is None:  # stored already, perhaps by another replica a moment ago
                existing = self._current(conn, record)
                if existing is None:
                    raise StoreError(f"document {record.id} conflicts with a stored one")
                return Stored(existing, False)
            self._insert_chunks(conn, record, chunks, embeddings)
        replaced = current.id if current else None
        return Stored(document_record((*row, record.collection)), True, replaced)

    @staticmethod
    def _insert_document(conn: Connection, record: DocumentRecord, collection: int) -> Row | None:
        """The stored row (None: a document without a source holds this content already)."""
        return conn.execute(
            f"INSERT INTO documents ({DOC_COLUMNS}, collection_id) VALUES (%s, %s, %s, %s, "
            "%s, %s, %s, %s, coalesce(%s::timestamptz, now()), %s, %s, %s) "
            f"ON CONFLICT DO NOTHING RETURNING {DOC_COLUMNS}",
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
                record.source,
                record.version,
                collection,
            ),
        ).fetchone()

    def _insert_chunks(
        self, conn: Connection, record: DocumentRecord, chunks: list[ChunkRow], embeddings: Matrix
    ) -> None:
        conn.execute(
            "INSERT INTO chunks (document_id, position, text, start_char, end_char, embedding, "
            "terms, place) SELECT %s, u.position, u.text, u.start_char, u.end_char, "
            "u.embedding::vector, to_tsvector(%s::regconfig, u.analysed), u.place::jsonb "
            "FROM unnest(%s::int[], %s::text[], %s::int[], %s::int[], %s::text[], %s::text[], "
            "%s::text[]) AS u(position, text, start_char, end_char, embedding, analysed, place)",
            (
                record.id,
                TEXT_CONFIG,
                [c.position for c in chunks],
                [c.text for c in chunks],
                [c.start for c in chunks],
                [c.end for c in chunks],
                [vector_literal(v) for v in embeddings],
                [self._analysed(record.title, c.text) for c in chunks],
                [json.dumps(c.place) for c in chunks],
            ),
        )

    def delete_document(self, document_id: str) -> None:
        with self.database.transaction() as conn:
            deleted = conn.execute("DELETE FROM documents WHERE id = %s", (document_id,))
            if deleted.rowcount == 0:
                raise no_document(document_id)

    # -- search ----------------------------------------------------------------------------

    def _scope(self, conn: Connection, filters: Filters) -> tuple[Where, int]:
        where, params = _filter_sql(filters)
        row = conn.execute(
            f"SELECT coalesce(sum(chunk_count), 0) FROM documents d WHERE {where}", params
        ).fetchone()
        return (where, params), int(row[0]) if row else 0

    def _index_search(self, conn: Connection, query: Matrix, k: int, scope: Where | None) -> Scored:
        # Session settings, one round trip, set by every dense search for itself (SET LOCAL
        # would need a transaction: two more round trips). Filtered, the walk goes on past
        # candidates the filter drops until k pass it (pgvector 0.8's iterative scan).
        ef_search = str(min(EF_SEARCH_MAX, max(self._ef_search, 2 * k)))
        conn.execute(
            "SELECT set_config('hnsw.ef_search', %s, false), "
            "set_config('hnsw.iterative_scan', %s, false)",
            (ef_search, "off" if scope is None else "strict_order"),
        )
        where, params = scope or ("", [])
        vector = vector_literal(np.asarray(query).reshape(-1))
        rows = conn.execute(
            "SELECT c.id, 1 - (c.embedding <=> %s::vector) FROM chunks c "
            + _within(where)
            + "ORDER BY c.embedding <=> %s::vector LIMIT %s",
            [vector, *params, vector, k],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def _exact_search(self, conn: Connection, query: Matrix, k: int, scope: Where) -> Scored:
        # A materialised CTE cannot be read through the HNSW index: every allowed chunk is
        # scored, so the top k are exact and always k when k are allowed.
        where, params = scope
        vector = vector_literal(np.asarray(query).reshape(-1))
        rows = conn.execute(
            "WITH allowed AS MATERIALIZED (SELECT c.id, c.embedding FROM chunks c "
            + _within(where)
            + ") "
            "SELECT id, 1 - (embedding <=> %s::vector) AS score FROM allowed "
            "ORDER BY score DESC, id LIMIT %s",
            [*params, vector, k],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def keyword_search(self, query: str, k: int, filters: Filters) -> Scored:
        # Letters and digits only (query_terms), OR-ed: the user's text is never query syntax.
        words = list(query_terms(self._segmenter.expand(query)))
        if not words or k <= 0:
            return []
        params: list[Any] = []
        within = ""  # unfiltered: no condition on documents
        if not filters.empty:
            where, params = _filter_sql(filters)
            within = f"AND c.document_id IN (SELECT d.id FROM documents d WHERE {where})"
        with self._reading() as conn:
            return self._keyword.search(conn, words, k, within, params)


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
