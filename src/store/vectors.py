"""An in-memory copy of the stored embeddings for exact (brute-force) dense search.

SQLite holds the truth (each embedding is a BLOB in its chunk's row, written in the
same transaction); this index is rebuilt from it at start-up and updated only after a
commit, so it can never hold a chunk the store does not.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from src.embedding import Matrix

IdArray = npt.NDArray[np.int64]


class VectorIndex:
    def __init__(self, dimension: int) -> None:
        self._dimension = dimension
        self._lock = threading.Lock()
        self._vectors: Matrix = np.zeros((0, dimension), dtype=np.float32)
        self._chunk_ids: IdArray = np.zeros(0, dtype=np.int64)
        self._doc_rowids: IdArray = np.zeros(0, dtype=np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, chunk_ids: list[int], doc_rowid: int, vectors: Matrix) -> None:
        with self._lock:
            needed = self._size + len(chunk_ids)
            if needed > len(self._vectors):
                self._grow(max(needed, 2 * len(self._vectors), 1024))
            end = self._size + len(chunk_ids)
            self._vectors[self._size : end] = vectors
            self._chunk_ids[self._size : end] = chunk_ids
            self._doc_rowids[self._size : end] = doc_rowid
            self._size = end

    def _grow(self, capacity: int) -> None:
        # New arrays, so searches holding views of the old ones stay valid.
        vectors = np.zeros((capacity, self._dimension), dtype=np.float32)
        chunk_ids = np.zeros(capacity, dtype=np.int64)
        doc_rowids = np.zeros(capacity, dtype=np.int64)
        vectors[: self._size] = self._vectors[: self._size]
        chunk_ids[: self._size] = self._chunk_ids[: self._size]
        doc_rowids[: self._size] = self._doc_rowids[: self._size]
        self._vectors, self._chunk_ids, self._doc_rowids = vectors, chunk_ids, doc_rowids

    def remove_document(self, doc_rowid: int) -> None:
        with self._lock:
            keep = self._doc_rowids[: self._size] != doc_rowid
            self._vectors = self._vectors[: self._size][keep].copy()
            self._chunk_ids = self._chunk_ids[: self._size][keep].copy()
            self._doc_rowids = self._doc_rowids[: self._size][keep].copy()
            self._size = len(self._chunk_ids)

    def search(
        self, query: Matrix, k: int, allowed_docs: IdArray | None
    ) -> list[tuple[int, float]]:
        with self._lock:
            size = self._size
            vectors, chunk_ids, doc_rowids = self._vectors, self._chunk_ids, self._doc_rowids
        if size == 0 or k <= 0:
            return []
        scores = vectors[:size] @ query.reshape(-1)
        if allowed_docs is not None:
            scores = np.where(np.isin(doc_rowids[:size], allowed_docs), scores, -np.inf)
        k = min(k, size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(chunk_ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]
