"""The Postgres store against a real Postgres with pgvector: schema migrations under the
advisory lock, the model guard, dedupe across connections, dense search's exact and HNSW
paths, keyword search that never parses the user's text, and outages."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from rig.postgres import PASSWORD, PostgresServer
from src.errors import StoreError, StoreUnavailableError
from src.models import ChunkRow, Filters, SourceDocument
from src.store.core import EXACT_MAX_CHUNKS
from src.store.postgres.database import Database, redacted
from src.store.postgres.migrations import LATEST_VERSION
from src.store.postgres.store import PostgresStore
from src.store.properties import EmbeddingSpace

DIM = 8


def _vectors(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _source(text: str, **metadata: object) -> SourceDocument:
    return SourceDocument(text, text[:10], f"hash-{text}", "text/plain", metadata=dict(metadata))


def _open(url: str, dimension: int = DIM, model: str = "m") -> PostgresStore:
    return PostgresStore(Database(url, 4), dimension, model=model)


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    opened = _open(pg_url)
    yield opened
    opened.close()


def _add(store: PostgresStore, text: str, n: int = 1, seed: int = 0, **metadata: object) -> str:
    chunks = [ChunkRow(i, f"{text} part {i}", i, i + 1) for i in range(n)]
    return store.add_document(_source(text, **metadata), chunks, _vectors(n, seed)).record.id


def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def start() -> None:
        try:
            stores.append(_open(pg_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(stores) == 4
    with psycopg.connect(pg_url) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [v[0] for v in versions] == list(range(1, LATEST_VERSION + 1))
    for opened in stores:
        opened.close()


def test_open_database_from_newer_release_is_refused(pg_url: str) -> None:
    _open(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s)", (LATEST_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this release"):
        _open(pg_url)


def test_open_with_another_model_is_refused_until_empty(pg_url: str) -> None:
    store = _open(pg_url, model="model-a")
    document = _add(store, "made by model a")
    store.close()
    with pytest.raises(StoreError, match=r"model-a \(8 dimensions\)"):
        _open(pg_url, 16, model="model-b")
    store = _open(pg_url, model="model-a")
    store.delete_document(document)
    store.close()
    switched = _open(pg_url, 16, model="model-b")
    assert switched.space == EmbeddingSpace("model-b", 16)
    with psycopg.connect(pg_url) as conn:
        column = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
        ).fetchone()
    assert column == ("vector(16)",)
    switched.close()


def test_same_document_from_two_replicas_at_once_is_stored_once(pg_url: str) -> None:
    replicas = [_open(pg_url), _open(pg_url)]
    barrier = threading.Barrier(len(replicas) * 4)
    ids: list[str] = []

    def upload(replica: PostgresStore) -> None:
        barrier.wait()
        record = replica.add_document(
            _source("the same file"), [ChunkRow(0, "the same file", 0, 13)], _vectors(1, 1)
        ).record
        ids.append(record.id)

    threads = [threading.Thread(target=upload, args=(r,)) for r in replicas for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert replicas[0].counts() == (1, 1)
    for replica in replicas:
        replica.close()


def test_dense_search_uses_the_hnsw_index(store: PostgresStore, pg_url: str) -> None:
    _add(store, "indexed", n=3)
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")  # a tiny table: make the planner show its hand
        plan = conn.execute(
            "EXPLAIN SELECT id FROM chunks ORDER BY embedding <=> %s::vector LIMIT 5",
            ("[" + ",".join(["0.1"] * DIM) + "]",),
        ).fetchall()
    assert "chunks_embedding" in " ".join(row[0] for row in plan)


def test_filtered_dense_search_fills_top_k_past_the_exact_limit(
    store: PostgresStore, pg_url: str
) -> None:
    """A filter that keeps a few chunks among many: the HNSW walk alone would return fewer
    than k; iterative scanning (or the exact fallback) fills k."""
    wanted = _add(store, "needle", n=6, seed=1, kind="needle")
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            "INSERT INTO documents (id, title, content_hash, media_type, char_count, chunk_count)"
            " VALUES ('hay', 'hay', 'hay', 'text/plain', 1, %s)",
            (EXACT_MAX_CHUNKS + 1,),
        )
        conn.execute(
            "INSERT INTO chunks (document_id, position, text, start_char, end_char, embedding, "
            "terms) SELECT 'hay', g, 'hay', 0, 1, %s::vector, ''::tsvector "
            "FROM generate_series(1, 2000) AS g",
            ("[" + ",".join(["0.35"] * DIM) + "]",),
        )
    query = np.full(DIM, 0.35, dtype=np.float32)  # the hay's own direction
    found = store.dense_search(query, 5, Filters(metadata=(("kind", "needle"),)))
    assert len(found) == 5
    assert {hit.document_id for hit in store.hydrate(found)} == {wanted}


def test_keyword_search_takes_query_syntax_as_words(store: PostgresStore) -> None:
    plain = _add(store, "ordinary words only")
    _add(store, "磁盘空间 清理")
    for hostile in ("!(&|", "ordinary & !words", "'ordinary':* | <->", "\\x00 ordinary)"):
        found = store.hydrate(store.keyword_search(hostile, 5, Filters()))
        assert {hit.document_id for hit in found} <= {plain}
    assert store.keyword_search("空间", 5, Filters()) != []


def test_outage_is_store_unavailable_and_recovers(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    store = _open(url)
    with postgres.outage():
        with pytest.raises(StoreUnavailableError) as raised:
            _add(store, "written during the outage")
        assert PASSWORD not in raised.value.message
    assert store.counts() == (0, 0)  # nothing half-written
    _add(store, "written after the outage")
    assert store.counts() == (1, 1)
    store.close()


def test_redacted_url_never_shows_the_password() -> None:
    for url in (
        f"postgresql://rag:{PASSWORD}@db.example:6543/rag?sslmode=verify-full",
        f"host=db.example user=rag password={PASSWORD} dbname=rag",
    ):
        shown = redacted(url)
        assert PASSWORD not in shown and "db.example" in shown and "rag" in shown


def test_keyword_search_matches_rare_words_and_ranks_on_all(
    store: PostgresStore, pg_url: str
) -> None:
    for n in range(40):
        _add(store, f"harbour report number {n}", seed=n)
    rare = _add(store, "harbour walrus sighting", seed=99)
    with psycopg.connect(pg_url) as conn:
        conn.execute("ANALYZE chunks")  # what autovacuum does: the column's common words
    fresh = _open(pg_url)  # reads the statistics afresh
    found = fresh.hydrate(fresh.keyword_search("harbour walrus", 50, Filters()))
    assert [hit.document_id for hit in found] == [rare]  # matched on the rare word only
    common_only = fresh.keyword_search("harbour report", 50, Filters())
    assert len(common_only) == 41  # no rare word: matched on the rarest ones
    fresh.close()


def test_open_builds_a_dense_index_a_cut_short_copy_dropped(pg_url: str) -> None:
    store = _open(pg_url)
    _add(store, "indexed later", n=3)
    store.close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("DROP INDEX chunks_embedding")  # what bulk_copy leaves if killed
    _open(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        found = conn.execute("SELECT to_regclass('chunks_embedding')").fetchone()
    assert found == ("chunks_embedding",)
