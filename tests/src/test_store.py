"""The stores: atomic documents, dedupe, delete, filters (the embedded SQLite store and the
Postgres one alike), and the SQLite store's schema migrations (Postgres's own are in
tests/src/store/test_postgres.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from src.errors import NotFoundError, StoreError
from src.models import ChunkRow, Filters, SourceDocument
from src.store import EmbeddingSpace, Store, StoreOptions, open_store
from src.store.sqlite.jobs import SQLiteJobs
from src.store.sqlite.migrations import LATEST_VERSION, MIGRATIONS, migrate
from src.store.sqlite.store import SQLiteStore

DIM = 8


def _source(text: str, **metadata: object) -> SourceDocument:
    return SourceDocument(
        text=text,
        title=text[:10],
        content_hash=f"hash-{text}",
        media_type="text/plain",
        metadata=dict(metadata),
    )


def _vectors(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _add(store: Store, text: str, n: int = 3, seed: int = 0, **metadata: object) -> str:
    chunks = [ChunkRow(i, f"{text} part {i}", i * 10, i * 10 + 9) for i in range(n)]
    record = store.add_document(_source(text, **metadata), chunks, _vectors(n, seed)).record
    return record.id


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same operations on both backends: a congruence test of the store contract."""
    location = tmp_path if request.param == "sqlite" else request.getfixturevalue("pg_url")
    backend = open_store(location, StoreOptions(DIM, model="m"))
    yield backend.store
    backend.close()


def test_add_document_same_hash_returns_existing(store: Store) -> None:
    first = _add(store, "alpha")
    stored = store.add_document(_source("alpha"), [ChunkRow(0, "x", 0, 1)], _vectors(1, 5))
    record, created = stored.record, stored.created
    assert not created and record.id == first
    assert store.counts() == (1, 3)


def test_add_document_failure_rolls_back_everything(store: Store) -> None:
    chunks = [ChunkRow(0, "a", 0, 1), ChunkRow(0, "duplicate position", 1, 2)]
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.add_document(_source("broken"), chunks, _vectors(2, 1))
    assert store.counts() == (0, 0)
    assert store.keyword_search("duplicate position", 5, Filters()) == []


def test_delete_document_leaves_no_chunks(store: Store) -> None:
    keep, gone = _add(store, "keep", seed=1), _add(store, "gone", seed=2)
    store.delete_document(gone)
    assert store.counts() == (1, 3)
    dense = store.hydrate(store.dense_search(_vectors(1, 2)[0], 10, Filters()))
    assert {hit.document_id for hit in dense} == {keep}
    assert store.keyword_search("gone", 10, Filters()) == []
    with pytest.raises(NotFoundError):
        store.get_document(gone)


def test_list_chunks_pages_in_document_order(store: Store) -> None:
    _add(store, "other", n=2, seed=4)
    document_id = _add(store, "ordered", n=5, seed=5)
    first, rest = store.list_chunks(document_id, 2, 0), store.list_chunks(document_id, 10, 2)
    assert [c.position for c in first + rest] == [0, 1, 2, 3, 4]
    assert rest[0].text == "ordered part 2" and (rest[0].start, rest[0].end) == (20, 29)
    assert store.list_chunks(document_id, 10, 5) == []


def test_list_chunks_of_unknown_document_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.list_chunks("no-such-document", 10, 0)


def test_search_filters_by_metadata_and_id(store: Store) -> None:
    red = _add(store, "red apple", seed=1, colour="red", size=3)
    _add(store, "green apple", seed=2, colour="green", size=3)
    metadata = Filters(metadata=(("colour", "red"), ("size", 3)))
    for scored in (
        store.keyword_search("apple", 10, metadata),
        store.dense_search(_vectors(1, 9)[0], 10, metadata),
    ):
        assert {hit.document_id for hit in store.hydrate(scored)} == {red}
    by_id = Filters(document_ids=(red,))
    assert {h.document_id for h in store.hydrate(store.keyword_search("apple", 10, by_id))} == {red}


def test_reopen_rebuilds_vector_index_from_sqlite(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rag.sqlite3", DIM)
    document_id = _add(store, "persisted", n=4, seed=3)
    store.close()
    reopened = SQLiteStore(tmp_path / "rag.sqlite3", DIM)
    hits = reopened.hydrate(reopened.dense_search(_vectors(4, 3)[2], 1, Filters()))
    assert hits[0].document_id == document_id and hits[0].position == 2
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_open_with_other_dimension_is_refused(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rag.sqlite3", DIM)
    _add(store, "eight dims")
    store.close()
    with pytest.raises(StoreError, match="8-dimensional"):
        SQLiteStore(tmp_path / "rag.sqlite3", 16)


def test_open_with_another_model_is_refused_and_names_reindex(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rag.sqlite3", DIM, model="model-a")
    _add(store, "made by model a")
    store.close()
    with pytest.raises(StoreError, match=r"model-a \(8 dimensions\)") as refused:
        SQLiteStore(tmp_path / "rag.sqlite3", DIM, model="model-b")
    assert "src.reindex" in refused.value.hint
    reopened = SQLiteStore(tmp_path / "rag.sqlite3", DIM, model="model-a")
    assert reopened.space == EmbeddingSpace("model-a", DIM)


def test_open_with_another_model_is_allowed_once_the_store_is_empty(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rag.sqlite3", DIM, model="model-a")
    store.delete_document(_add(store, "deleted"))
    store.close()
    switched = SQLiteStore(tmp_path / "rag.sqlite3", 16, model="model-b")
    assert switched.space == EmbeddingSpace("model-b", 16)


def test_upgrade_records_the_bundled_model_for_existing_chunks(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=5)  # the release before models were recorded
    conn.execute(
        "INSERT INTO documents (id, title, content_hash, media_type, char_count, chunk_count, "
        "created_at) VALUES ('d', 'T', 'h', 'text/plain', 4, 1, '2026-01-01T00:00:00Z')"
    )
    conn.execute(
        "INSERT INTO chunks (id, doc_rowid, position, text, start_char, end_char, embedding)"
        " VALUES (1, 1, 0, 'text', 0, 4, ?)",
        (_vectors(1, 1)[0].tobytes(),),
    )
    conn.close()
    with pytest.raises(StoreError, match=r"all-MiniLM-L6-v2 \(384 dimensions\)"):
        SQLiteStore(path, DIM, model="another-model")


def test_open_store_from_schema_v1_upgrades_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)  # what the first release wrote
    conn.execute(
        "INSERT INTO documents (id, title, content_hash, media_type, metadata, "
        "char_count, chunk_count, created_at) VALUES ('old-doc', 'Old', 'h', "
        "'text/plain', ?, 9, 1, '2025-01-01T00:00:00Z')",
        (json.dumps({"v": 1}),),
    )
    conn.execute(
        "INSERT INTO chunks (doc_rowid, position, text, start_char, end_char, embedding)"
        " VALUES (1, 0, 'legacy text', 0, 11, ?)",
        (_vectors(1, 4)[0].tobytes(),),
    )
    conn.close()

    store = SQLiteStore(path, DIM)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert store.get_document("old-doc").metadata == {"v": 1}
    assert store.hydrate(store.keyword_search("legacy", 1, Filters()))[0].text == "legacy text"
    jobs = SQLiteJobs(store.file)
    job = jobs.create_job(5, "default")  # the jobs table came with migration 2
    assert jobs.get_job(job.id).total_chunks == 5


def test_open_store_from_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this release"):
        SQLiteStore(path, DIM)


def test_open_corrupt_file_gives_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        SQLiteStore(path, DIM)


def test_keyword_search_with_and_without_filters_agree(store: Store) -> None:
    first = _add(store, "keyword ranking sample", seed=1)
    _add(store, "another ranking text", seed=2)
    plain = store.keyword_search("keyword ranking", 10, Filters())
    filtered = store.keyword_search("keyword ranking", 10, Filters(document_ids=(first,)))
    assert plain[0] == filtered[0]
    assert {h.document_id for h in store.hydrate(plain)} >= {first}


def test_nul_characters_anywhere_never_fail_a_statement(store: Store) -> None:
    """SQLite stores NUL; Postgres text cannot hold one (it gets U+FFFD): either way a
    document carrying them is stored and found, and ids or filters carrying them find nothing."""
    source = SourceDocument(
        "a\x00b", "ti\x00tle", "hash-nul", "text/plain", "f\x00.txt", {"k": "v\x00"}
    )
    record = store.add_document(
        source, [ChunkRow(0, "nul\x00 walrus", 0, 12)], _vectors(1, 3)
    ).record
    hits = store.hydrate(store.keyword_search("walrus", 5, Filters()))
    assert [hit.document_id for hit in hits] == [record.id]
    with pytest.raises(NotFoundError):
        store.get_document("\x00")
    assert store.keyword_search("walrus", 5, Filters(document_ids=("\x00",))) == []
    assert store.dense_search(_vectors(1, 3)[0], 5, Filters(metadata=(("k", "\x00"),))) == []
