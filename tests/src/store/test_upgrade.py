"""Stores written by the release before collections (tests/src/store/previous_release/),
opened by this one: every document lands in `default`, no vector changes, and the new
per-collection rules hold for what comes next."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hashed_embedder import HashedEmbedder

from src.models import ChunkRow, Filters, SourceDocument
from src.store import Store, StoreOptions, open_store
from src.store.postgres.migrations import LATEST_VERSION as PG_LATEST
from src.store.sqlite.migrations import LATEST_VERSION as SQLITE_LATEST

PREVIOUS = Path(__file__).parent / "previous_release"
TITLES = {"Walrus handbook", "Otter census", "磁盘清理"}
OPTIONS = StoreOptions(dimension=64, model="hashed-bow")
# The schema versions that release wrote.
PREVIOUS_SQLITE_VERSION = 6


def _vectors(store: Store) -> dict[str, bytes]:
    return {record.id: vectors.tobytes() for record, _, vectors in store.export_documents()}


def _sqlite_vectors(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT d.id, c.embedding FROM chunks c JOIN documents d ON d.rowid = c.doc_rowid "
            "ORDER BY d.id, c.position"
        ).fetchall()
    joined: dict[str, bytes] = {}
    for document_id, blob in rows:
        joined[document_id] = joined.get(document_id, b"") + blob
    return joined


@pytest.fixture()
def sqlite_store(tmp_path: Path) -> Iterator[tuple[Store, dict[str, bytes]]]:
    for name in ("rag.sqlite3", "rag.hnsw", "rag.hnsw.json"):
        shutil.copy(PREVIOUS / name, tmp_path / name)
    before = _sqlite_vectors(tmp_path / "rag.sqlite3")
    backend = open_store(tmp_path, OPTIONS)
    yield backend.store, before
    backend.close()


@pytest.fixture()
def postgres_store(pg_url: str) -> Iterator[tuple[Store, dict[str, bytes]]]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(PREVIOUS.joinpath("postgres.sql").read_text().encode())
    backend = open_store(pg_url, OPTIONS)
    yield backend.store, _vectors(backend.store)
    backend.close()


@pytest.fixture(params=["sqlite", "postgres"])
def upgraded(request: pytest.FixtureRequest) -> tuple[Store, dict[str, bytes]]:
    found: tuple[Store, dict[str, bytes]] = request.getfixturevalue(f"{request.param}_store")
    return found


def _add(store: Store, text: str, collection: str) -> tuple[str, bool]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    source = SourceDocument(text, "t", digest, "text/plain", collection=collection)
    vectors = HashedEmbedder().embed([text])
    stored = store.add_document(source, [ChunkRow(0, text, 0, len(text))], vectors)
    record, created = stored.record, stored.created
    return record.id, created


def test_open_previous_release_store_puts_every_document_in_default(
    upgraded: tuple[Store, dict[str, bytes]],
) -> None:
    store, _ = upgraded
    documents, total = store.list_documents(10, 0)
    assert total == 3
    assert {d.title for d in documents} == TITLES
    assert {d.collection for d in documents} == {"default"}
    assert [c.name for c in store.catalog.list_collections()] == ["default"]
    assert store.catalog.get_collection("default").documents == 3
    assert store.counts() == (3, 6)


def test_open_previous_release_store_keeps_every_vector(
    upgraded: tuple[Store, dict[str, bytes]],
) -> None:
    store, before = upgraded
    assert _vectors(store) == before


def test_open_previous_release_store_searches_within_default(
    upgraded: tuple[Store, dict[str, bytes]],
) -> None:
    store, _ = upgraded
    query = HashedEmbedder().embed(["walruses rest on sea ice"], query=True)
    for filters in (Filters(), Filters(collections=("default",))):
        hits = store.hydrate(store.dense_search(query, 1, filters))
        assert hits[0].title == "Walrus handbook"
        assert hits[0].collection == "default"
        keyword = store.hydrate(store.keyword_search("otters", 1, filters))
        assert keyword[0].title == "Otter census"
    assert store.dense_search(query, 3, Filters(collections=())) == []


def test_store_after_upgrade_dedupes_per_collection(
    upgraded: tuple[Store, dict[str, bytes]],
) -> None:
    store, _ = upgraded
    store.catalog.create_collection("hr", "")
    first, created = _add(store, "Leave policy: twenty days a year.", "hr")
    again, created_again = _add(store, "Leave policy: twenty days a year.", "hr")
    other, created_other = _add(store, "Leave policy: twenty days a year.", "default")
    assert (created, created_again, created_other) == (True, False, True)
    assert again == first != other
    assert store.get_document(first).collection == "hr"


def test_open_previous_release_store_reaches_the_latest_schema(tmp_path: Path) -> None:
    shutil.copy(PREVIOUS / "rag.sqlite3", tmp_path / "rag.sqlite3")
    with sqlite3.connect(tmp_path / "rag.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS_SQLITE_VERSION
    open_store(tmp_path, OPTIONS).close()
    with sqlite3.connect(tmp_path / "rag.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLITE_LATEST
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 6


def test_open_previous_release_database_reaches_the_latest_schema(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(PREVIOUS.joinpath("postgres.sql").read_text().encode())
        conn.execute("SET search_path = public")  # the dump emptied it
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (1,)
    open_store(pg_url, OPTIONS).close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (PG_LATEST,)
        assert conn.execute("SELECT count(*) FROM chunks").fetchone() == (6,)


def test_store_after_upgrade_keeps_the_place_of_new_chunks(
    upgraded: tuple[Store, dict[str, bytes]],
) -> None:
    store, _ = upgraded
    text = "Page eighty-seven: the walrus colony census."
    digest = hashlib.sha256(text.encode()).hexdigest()
    place = {"page": 87, "page_end": 88}
    chunk = ChunkRow(0, text, 0, len(text), place)
    record = store.add_document(
        SourceDocument(text, "Census", digest, "application/pdf"),
        [chunk],
        HashedEmbedder().embed([text]),
    ).record
    held = {c.text: c.place for c in store.list_chunks(record.id, 10, 0)}
    assert held == {text: place}
    old = store.list_documents(10, 0)[0][-1]
    assert all(c.place == {} for c in store.list_chunks(old.id, 10, 0))
    query = HashedEmbedder().embed(["walrus colony census page"], query=True)
    hit = store.hydrate(store.dense_search(query, 1, Filters()))[0]
    assert (hit.title, hit.place) == ("Census", place)
