"""Approximate nearest-neighbour search over chunk embeddings: an HNSW graph (usearch).

SQLite holds the truth (each embedding is a BLOB in its chunk's row). This index is derived
from it: updated after each commit, saved beside the store now and then (atomically, with a
checksum), and reconciled with the store's chunk ids whenever it is opened. A file that is
missing, corrupt or built with other parameters is rebuilt from SQLite; one that is merely
stale (a crash between a commit and the next save) is repaired: ghosts out, missing chunks in.
Chunk ids are never reused (see migration 4), so an id present on both sides is the same chunk.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

# onnxruntime must be loaded before usearch: the other order crashes the process (seen with
# onnxruntime 1.32 and usearch 2.26: `import usearch.index; import onnxruntime` segfaults),
# and the embedding model loads onnxruntime in the same process.
import onnxruntime  # noqa: F401
from usearch.index import BatchMatches, Index, Matches

from src.models import Matrix

IdArray = npt.NDArray[np.int64]
# Reads (chunk ids, vectors) from the store, in batches, for the ids asked for (None: all).
VectorSource = Callable[[IdArray | None], Iterable[tuple[IdArray, Matrix]]]

FORMAT = 1
# Files saved before the model was recorded were all of the bundled model's vectors.
LEGACY_MODEL = "all-MiniLM-L6-v2"
# usearch holds the GIL while it adds: big batches would stall every other request.
ADD_BATCH = 64
CORES = os.cpu_count() or 1
log = logging.getLogger("rag.ann")


@dataclass(frozen=True)
class AnnParams:
    """HNSW parameters; the file records them, and a file built with others is rebuilt."""

    dimension: int
    connectivity: int = 32
    expansion_add: int = 128
    expansion_search: int = 256
    dtype: str = "f16"  # half the memory of f32 for no measurable loss of recall
    exact: bool = False  # scan every vector (to measure what the graph walk loses)
    # The embedding model of the vectors: a file of another model's vectors is rebuilt
    # ("": not checked, for tools that bring their own vectors).
    model: str = ""

    def shape(self) -> dict[str, object]:
        # Query-time knobs: changing them needs no rebuild.
        skipped = ("expansion_search", "exact", "model")
        return {k: v for k, v in asdict(self).items() if k not in skipped}


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


class AnnIndex:
    def __init__(self, path: Path, params: AnnParams) -> None:
        self._path = path
        self._meta_path = path.with_name(path.name + ".json")
        self._params = params
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Request] = []
        self._dirty = False
        self._index = self._empty()

    def _empty(self) -> Index:
        p = self._params
        return Index(
            ndim=p.dimension,
            metric="cos",
            dtype=p.dtype,
            connectivity=p.connectivity,
            expansion_add=p.expansion_add,
            expansion_search=p.expansion_search,
        )

    def __len__(self) -> int:
        return len(self._index)

    # -- opening ---------------------------------------------------------------------------

    def open(self, store_ids: IdArray, source: VectorSource, save: bool = True) -> None:
        """Load the saved index if it is intact, then make it hold exactly `store_ids`.
        `save`: write the repaired index back (not while another process owns the file)."""
        loaded = self._load()
        if loaded is None:
            log.info("building the dense index from the store (%d chunks)", len(store_ids))
            self._index = self._empty()
        else:
            self._index = loaded
        # Nothing is served yet: every core adds, in big batches.
        removed, added = self.reconcile(store_ids, source, threads=0)
        if loaded is None or removed or added:
            log.info("dense index repaired: %d removed, %d added", removed, added)
            if save:
                self.save()

    def reconcile(
        self, store_ids: IdArray, source: VectorSource, threads: int = 1
    ) -> tuple[int, int]:
        """Make the index hold exactly `store_ids` (the ghosts out, the missing read from
        `source` and added); (how many removed, how many added)."""
        with self._lock:
            held = np.asarray(self._index.keys, dtype=np.int64)
        ghosts = np.setdiff1d(held, store_ids, assume_unique=True)
        missing = np.setdiff1d(store_ids, held, assume_unique=True)
        if len(ghosts):
            self.remove(ghosts)
        if len(missing):
            for ids, vectors in source(missing if len(held) else None):
                with self._lock:
                    self._index.add(ids, vectors, threads=threads)
                    self._dirty = True
        return len(ghosts), len(missing)

    def _load(self) -> Index | None:
        try:
            meta = json.loads(self._meta_path.read_text())
            model = meta.pop("model", LEGACY_MODEL)
            if self._params.model and model != self._params.model:
                log.warning("dense index at %s holds %s vectors: rebuilding", self._path, model)
                return None
            if meta != self._expected_meta(meta.get("crc32"), meta.get("bytes")):
                log.warning("dense index at %s was built differently: rebuilding", self._path)
                return None
            if self._path.stat().st_size != meta["bytes"] or _crc32(self._path) != meta["crc32"]:
                log.warning("dense index at %s is corrupt: rebuilding", self._path)
                return None
            index = Index.restore(str(self._path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            log.warning("dense index at %s unreadable (%s): rebuilding", self._path, exc)
            return None
        if index is None or index.ndim != self._params.dimension:
            return None
        # Not saved in the file; usearch's typing misses the property's setter.
        index.expansion_search = self._params.expansion_search  # type: ignore[misc]
        return index

    def _expected_meta(self, crc: object, size: object) -> dict[str, object]:
        return {"format": FORMAT, **self._params.shape(), "crc32": crc, "bytes": size}

    # -- changes ---------------------------------------------------------------------------

    def add(self, chunk_ids: IdArray, vectors: Matrix) -> None:
        for start in range(0, len(chunk_ids), ADD_BATCH):
            end = start + ADD_BATCH
            with self._lock:
                self._index.add(chunk_ids[start:end], vectors[start:end], threads=1)
                self._dirty = True

    def remove(self, chunk_ids: IdArray) -> None:
        with self._lock:
            self._index.remove(chunk_ids)
            self._dirty = True

    def save(self) -> None:
        """Write the index and its checksum atomically: a crash leaves the old pair or the
        new one (a mismatched pair reads as corrupt and is rebuilt, never trusted)."""
        # Serialised in memory (a short hold of the lock and the GIL), written outside it.
        with self._lock:
            data = self._index.save()
            self._dirty = False
        if data is None:
            raise OSError("usearch returned no serialised index")
        tmp = self._path.with_name(self._path.name + ".tmp")
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        meta = self._expected_meta(zlib.crc32(data), len(data))
        if self._params.model:
            meta["model"] = self._params.model
        tmp_meta = self._meta_path.with_name(self._meta_path.name + ".tmp")
        tmp_meta.write_text(json.dumps(meta))
        tmp.replace(self._path)
        tmp_meta.replace(self._meta_path)

    def save_if_changed(self) -> None:
        if self._dirty:
            self.save()

    # -- search ----------------------------------------------------------------------------

    def search(self, query: Matrix, count: int) -> list[tuple[int, float]]:
        """The `count` nearest chunks. Concurrent searches are answered together: usearch
        holds the GIL while it walks the graph, so one query at a time would keep every
        other thread waiting on one core; a batch walks on every core for the same hold."""
        request = _Request(query.reshape(-1), count)
        with self._queue_lock:
            self._queue.append(request)
        while not request.done.is_set():
            with self._lock:  # whoever holds the index answers everything queued so far
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                if batch:
                    self._answer(batch)
        if request.error is not None:
            raise request.error
        return request.result

    def _answer(self, batch: list[_Request]) -> None:
        try:
            count = max(request.count for request in batch)
            if len(self._index) == 0 or count <= 0:
                return
            queries = np.stack([request.query for request in batch])
            matches = self._index.search(
                queries, count, threads=min(len(batch), CORES), exact=self._params.exact
            )
            for row, request in enumerate(batch):
                found = _row_of(matches, row)
                # Cosine distance is 1 - similarity: report the similarity, as exact search does.
                request.result = [(int(k), 1.0 - float(d)) for k, d in found][: request.count]
        except BaseException as exc:  # every waiter learns of it, not only this thread
            for request in batch:
                request.error = exc
            raise
        finally:
            for request in batch:
                request.done.set()


def _row_of(matches: Matches | BatchMatches, row: int) -> list[tuple[int, float]]:
    """One query's (key, distance) pairs from a search of one query or of many."""
    if isinstance(matches, BatchMatches):
        found = int(matches.counts[row])
        keys, distances = matches.keys[row][:found], matches.distances[row][:found]
    else:
        keys, distances = matches.keys, matches.distances
    return list(zip(keys.tolist(), distances.tolist(), strict=True))


@dataclass
class _Request:
    query: Matrix
    count: int
    result: list[tuple[int, float]] = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Autosave:
    """Saves the index every `interval` seconds when it changed, so a restart repairs at
    most that much from the store."""

    def __init__(self, index: AnnIndex, interval: float) -> None:
        self._index = index
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ann-autosave", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._index.save_if_changed()
            except OSError:
                log.exception("saving the dense index failed; the next start repairs it")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def exact_search(query: Matrix, k: int, ids: IdArray, vectors: Matrix) -> list[tuple[int, float]]:
    """Brute-force cosine top-k over unit rows: for sets small enough to scan."""
    if len(ids) == 0 or k <= 0:
        return []
    scores = vectors @ query.reshape(-1)
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(ids[i]), float(scores[i])) for i in top]
