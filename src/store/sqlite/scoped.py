"""Searching within collections on the embedded store, as fast inside a small collection of
a big store as in a small store, and as fast inside a big collection as without a filter.

A key scoped to collections filters every search by them. Listing every document of the
allowed collections for each query (what other filters do) costs ~100 ms once a collection
holds a million chunks, so a filter of collections alone is answered here instead:
- dense, small collections (up to EXACT_MAX_CHUNKS chunks): their vectors are kept in
  memory (float32: numpy has no fast float16 product; bounded by `cache_bytes`, least
  recently used dropped first) and scanned exactly;
- dense, bigger ones: the HNSW walk is widened by total/allowed, and its candidates are
  checked against the collections in one indexed query (few ids); too few, the exact scan;
- keyword, a small share of the store: BM25 within their documents (few); else BM25 over
  everything, widened likewise, and checked; too few while more matched: within their
  documents after all.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from src.models import Matrix
from src.store.core import EXACT_MAX_CHUNKS, Scored
from src.store.sqlite.ann import AnnIndex, IdArray, exact_search
from src.store.sqlite.keyword import KeywordIndex

# Below this share of the store, BM25 is filtered by document; above, by checking hits.
KEYWORD_FILTER_SHARE = 0.05
Reader = Callable[[], sqlite3.Connection]
Rows = Callable[[list[tuple[int, bytes]]], tuple[IdArray, Matrix]]


def widened(k: int, total: int, allowed: int) -> int:
    """How many unfiltered candidates to draw so that about 2k fall inside `allowed`."""
    return min(total, 2 * k * total // max(allowed, 1) + 32)


class CollectionSearch:
    def __init__(
        self,
        reader: Reader,
        matrix: Rows,
        ann: AnnIndex,
        keyword: KeywordIndex,
        cache_bytes: int,
    ) -> None:
        """`matrix`: the store's reading of (id, embedding) rows as ids and vectors."""
        self._reader = reader
        self._matrix = matrix
        self._ann = ann
        self._keyword = keyword
        self._vectors = VectorCache(cache_bytes)
        self._counts_lock = threading.Lock()
        # Chunks per collection: counted once, before any search (summing a million-chunk
        # collection's documents per query took ~20 ms), then kept in step by added/removed.
        self._counts: dict[int, int] = self._counted()

    def _counted(self) -> dict[int, int]:
        sql = "SELECT collection_id, sum(chunk_count) FROM documents GROUP BY 1"
        return dict(self._reader().execute(sql).fetchall())

    def recount(self) -> None:
        """Counts and cached vectors read again: another process has written the store."""
        counts = self._counted()
        with self._counts_lock:
            self._counts = counts
        self._vectors.clear()

    # -- what a filter of collections allows -----------------------------------------------

    def ids_of(self, names: tuple[str, ...]) -> list[int]:
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        sql = f"SELECT id FROM collections WHERE name IN ({marks}) ORDER BY id"
        return [row[0] for row in self._reader().execute(sql, names)]

    def _chunks_in(self, collections: list[int]) -> int:
        with self._counts_lock:
            return sum(self._counts.get(collection, 0) for collection in collections)

    def _count(self, collection: int, change: int) -> None:
        with self._counts_lock:
            self._counts[collection] = self._counts.get(collection, 0) + change

    def _inside(self, candidates: Scored, collections: list[int]) -> Scored:
        """The candidates whose chunk is in one of the collections, in their order."""
        if not candidates:
            return []
        sql = (
            "SELECT c.id FROM chunks c JOIN documents d ON d.rowid = c.doc_rowid "
            "WHERE c.id IN (SELECT value FROM json_each(?)) "
            "AND d.collection_id IN (SELECT value FROM json_each(?))"
        )
        params = (json.dumps([c for c, _ in candidates]), json.dumps(collections))
        inside = {row[0] for row in self._reader().execute(sql, params)}
        return [(c, score) for c, score in candidates if c in inside]

    # -- searches --------------------------------------------------------------------------

    def dense(self, query: Matrix, k: int, names: tuple[str, ...]) -> Scored:
        collections = self.ids_of(names)
        allowed = self._chunks_in(collections) if collections else 0
        if allowed == 0 or k <= 0:
            return []
        if allowed > EXACT_MAX_CHUNKS:
            candidates = self._ann.search(query, widened(k, len(self._ann), allowed))
            found = self._inside(candidates, collections)
            if len(found) >= min(k, allowed):
                return found[:k]
        return self._exact(query, k, collections)

    def _exact(self, query: Matrix, k: int, collections: list[int]) -> Scored:
        scored: Scored = []
        for collection in collections:
            ids, vectors = self._vectors.get(collection, functools.partial(self._read, collection))
            scored.extend(exact_search(query, k, ids, vectors))
        return sorted(scored, key=lambda pair: -pair[1])[:k]

    def _read(self, collection: int) -> tuple[IdArray, Matrix]:
        rows = (
            self._reader()
            .execute(
                "SELECT c.id, c.embedding FROM chunks c JOIN documents d "
                "ON d.rowid = c.doc_rowid WHERE d.collection_id = ?",
                (collection,),
            )
            .fetchall()
        )
        if not rows:  # emptied by another process since the count
            return np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
        return self._matrix(rows)

    def keyword(self, text: str, k: int, names: tuple[str, ...]) -> Scored:
        collections = self.ids_of(names)
        allowed = self._chunks_in(collections) if collections else 0
        if allowed == 0 or k <= 0:
            return []
        total = max(len(self._ann), 1)
        if allowed >= KEYWORD_FILTER_SHARE * total:
            count = widened(k, total, allowed)
            candidates = self._keyword.search(text, count)
            found = self._inside(candidates, collections)
            if len(found) >= k or len(candidates) < count:  # enough, or every match seen
                return found[:k]
        return self._keyword.search(text, k, self._documents_of(collections))

    def _documents_of(self, collections: list[int]) -> list[int]:
        sql = "SELECT rowid FROM documents WHERE collection_id IN (SELECT value FROM json_each(?))"
        return [row[0] for row in self._reader().execute(sql, (json.dumps(collections),))]

    # -- changes ---------------------------------------------------------------------------

    def added(self, collection: int, chunk_ids: IdArray, vectors: Matrix) -> None:
        self._count(collection, len(chunk_ids))
        self._vectors.append(collection, chunk_ids, vectors)

    def removed(self, collection: int, chunk_ids: IdArray) -> None:
        self._count(collection, -len(chunk_ids))
        self._vectors.remove(collection, chunk_ids)


class VectorCache:
    """The vectors of small collections, in memory, within a byte budget (least recently
    used dropped first). Kept in step with the store by append() and remove()."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._held: OrderedDict[int, tuple[IdArray, Matrix]] = OrderedDict()
        # Changes per collection: a read that a change overtook is used once, never kept.
        self._changes: dict[int, int] = {}
        self._generation = 0  # clear()s so far
        self._lock = threading.Lock()

    def get(
        self, collection: int, read: Callable[[], tuple[IdArray, Matrix]]
    ) -> tuple[IdArray, Matrix]:
        with self._lock:
            if collection in self._held:
                self._held.move_to_end(collection)
                return self._held[collection]
            before = (self._generation, self._changes.get(collection, 0))
        ids, vectors = read()
        with self._lock:
            if (self._generation, self._changes.get(collection, 0)) == before:
                self._held[collection] = (ids, vectors)
                self._trim()
        return ids, vectors

    def _trim(self) -> None:
        while self._held and sum(v.nbytes + i.nbytes for i, v in self._held.values()) > (
            self._max_bytes
        ):
            self._held.popitem(last=False)

    def append(self, collection: int, chunk_ids: IdArray, vectors: Matrix) -> None:
        with self._lock:
            self._changes[collection] = self._changes.get(collection, 0) + 1
            if collection not in self._held:
                return
            ids, held = self._held[collection]
            if len(ids) + len(chunk_ids) > EXACT_MAX_CHUNKS:  # no longer scanned: let go
                del self._held[collection]
                return
            added = np.asarray(vectors, dtype=np.float32)
            self._held[collection] = (np.concatenate([ids, chunk_ids]), np.vstack([held, added]))
            self._trim()

    def clear(self) -> None:
        """Everything let go; a read begun before is used once, never kept."""
        with self._lock:
            self._generation += 1
            self._held.clear()

    def remove(self, collection: int, chunk_ids: IdArray) -> None:
        with self._lock:
            self._changes[collection] = self._changes.get(collection, 0) + 1
            if collection not in self._held:
                return
            ids, held = self._held[collection]
            keep = ~np.isin(ids, chunk_ids)
            self._held[collection] = (ids[keep], held[keep])
