"""Searches within collections on the embedded store (src/store/sqlite/scoped.py): only
chunks of the named collections, the same top k as scoring every allowed chunk, on both
paths (small collections scanned from memory, big ones through the widened index walk),
and kept in step as documents come and go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from src.models import ChunkRow, Filters, SourceDocument
from src.store.sqlite import scoped
from src.store.sqlite.store import SQLiteStore

DIM = 16
WORDS = ("otter", "walrus", "heron")


def _vectors(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLiteStore]:
    monkeypatch.setattr(scoped, "EXACT_MAX_CHUNKS", 40)  # "big" from 41 chunks on
    opened = SQLiteStore(tmp_path / "rag.sqlite3", DIM)
    for name in ("small", "big"):
        opened.catalog.create_collection(name, "")
    yield opened
    opened.close()


def _add(store: SQLiteStore, collection: str, n: int, seed: int) -> tuple[str, list[int]]:
    text = f"{collection} {seed}"
    source = SourceDocument(text, text, f"{collection}-{seed}", "text/plain", collection=collection)
    chunks = [ChunkRow(p, f"{WORDS[p % 3]} note {seed} {p}", p, p + 1) for p in range(n)]
    record = store.add_document(source, chunks, _vectors(n, seed)).record
    return record.id, [c.chunk_id for c in store.list_chunks(record.id, n, 0)]


def _fill(store: SQLiteStore) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {"small": set(), "big": set(), "default": set()}
    for seed, (collection, n) in enumerate(
        [("small", 6), ("big", 30), ("default", 30), ("big", 30), ("small", 6), ("default", 9)]
    ):
        ids[collection] |= set(_add(store, collection, n, seed)[1])
    return ids


def _brute_force(store: SQLiteStore, query: np.ndarray, allowed: set[int], k: int) -> list[int]:  # type: ignore[type-arg]
    every = store.dense_search(query, 1000, Filters(document_ids=tuple(_all_documents(store))))
    return [c for c, _ in every if c in allowed][:k]


def _all_documents(store: SQLiteStore) -> list[str]:
    return [d.id for d in store.list_documents(100, 0)[0]]


@pytest.mark.parametrize("names", [("small",), ("big",), ("small", "big")])
def test_dense_within_collections_matches_scoring_every_allowed_chunk(
    store: SQLiteStore, names: tuple[str, ...]
) -> None:
    ids = _fill(store)
    allowed = set().union(*(ids[name] for name in names))
    for seed in range(10):
        query = _vectors(1, 100 + seed)[0]
        found = store.dense_search(query, 5, Filters(collections=names))
        assert [c for c, _ in found] == _brute_force(store, query, allowed, 5)


@pytest.mark.parametrize("names", [("small",), ("big",), ("default",)])
def test_keyword_within_collections_returns_only_their_chunks(
    store: SQLiteStore, names: tuple[str, ...]
) -> None:
    ids = _fill(store)
    found = store.keyword_search("otter note", 10, Filters(collections=names))
    assert len(found) == 10
    assert {c for c, _ in found} <= ids[names[0]]


def test_search_within_unknown_or_no_collection_finds_nothing(store: SQLiteStore) -> None:
    _fill(store)
    query = _vectors(1, 7)[0]
    for names in ((), ("nope",)):
        assert store.dense_search(query, 5, Filters(collections=names)) == []
        assert store.keyword_search("otter", 5, Filters(collections=names)) == []


def test_cached_collection_follows_adds_and_deletes(store: SQLiteStore) -> None:
    _fill(store)
    query = _vectors(1, 3)[0]
    store.dense_search(query, 3, Filters(collections=("small",)))  # cached now
    added, chunk_ids = _add(store, "small", 2, 3)  # seed 3: the query's own vector first
    first = store.dense_search(query, 1, Filters(collections=("small",)))
    assert first[0][0] == chunk_ids[0]
    store.delete_document(added)
    again = store.dense_search(query, 20, Filters(collections=("small",)))
    assert not set(chunk_ids) & {c for c, _ in again}
    assert len(again) == 12
