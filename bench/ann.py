"""ANN candidates side by side on the same vectors: build time, cost of adding one vector at a
time (what ingestion pays), query latency, recall@10 against exact search, memory.

Vectors: the model's embeddings of corpus passages, then Gaussian samples fitted to them
(bench/fill.py explains why those are no easier than real text). Queries: the model's
embeddings of the serving benchmark's queries. Candidates that are not installed are listed
as such: `uv run --with faiss-cpu --with hnswlib python -m bench ann` adds the other two
(hnswlib has no wheel: it compiles, so it needs a C++ compiler, which the image lacks).
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus, fill
from bench.report import Record
from bench.serving import MODEL_DIR, _queries, rss_bytes
from src.embedding import OnnxEmbedder
from src.store.sqlite.ann import exact_search

Array = np.ndarray[Any, Any]
CACHE = Path(__file__).resolve().parent / "results" / "tmp"
K = 10
ONE_BY_ONE = 500  # vectors added singly after the bulk build, to time ingestion's path


@dataclass(frozen=True)
class Candidate:
    name: str
    module: str
    build: Callable[[Any, Array, int], Any]  # (module, vectors, dimension) -> index
    add_one: Callable[[Any, int, Array], None]
    search: Callable[[Any, Array, int], list[int]]
    removal: str


def _usearch(connectivity: int, expansion_add: int, expansion_search: int) -> Candidate:
    def build(mod: Any, vectors: Array, dim: int) -> Any:
        index = mod.Index(
            ndim=dim,
            metric="cos",
            dtype="f16",
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        index.add(np.arange(len(vectors)), vectors, threads=0)
        return index

    return Candidate(
        f"usearch f16 M={connectivity} ef_add={expansion_add} ef={expansion_search}",
        "usearch.index",
        build,
        lambda index, key, vector: index.add(key, vector, threads=1),
        lambda index, query, k: index.search(query, k, threads=1).keys.tolist(),
        "yes (remove)",
    )


def _faiss(m: int, ef_construction: int, ef_search: int) -> Candidate:
    def build(mod: Any, vectors: Array, dim: int) -> Any:
        index = mod.IndexHNSWFlat(dim, m, mod.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
        index.add(vectors)
        return index

    def search(index: Any, query: Array, k: int) -> list[int]:
        return [int(i) for i in index.search(query.reshape(1, -1), k)[1][0]]

    return Candidate(
        f"faiss-cpu HNSWFlat f32 M={m} efC={ef_construction} ef={ef_search}",
        "faiss",
        build,
        lambda index, _, vector: index.add(vector.reshape(1, -1)),
        search,
        "no (HNSW ids cannot be removed: tombstones + rebuilds)",
    )


def _hnswlib(m: int, ef_construction: int, ef_search: int) -> Candidate:
    def build(mod: Any, vectors: Array, dim: int) -> Any:
        index = mod.Index(space="ip", dim=dim)
        index.init_index(
            max_elements=len(vectors) + ONE_BY_ONE, M=m, ef_construction=ef_construction
        )
        index.add_items(vectors, np.arange(len(vectors)), num_threads=os.cpu_count() or 1)
        index.set_ef(ef_search)
        return index

    def search(index: Any, query: Array, k: int) -> list[int]:
        return [int(i) for i in index.knn_query(query, k, num_threads=1)[0][0]]

    return Candidate(
        f"hnswlib f32 M={m} efC={ef_construction} ef={ef_search}",
        "hnswlib",
        build,
        lambda index, key, vector: index.add_items(vector.reshape(1, -1), [key], num_threads=1),
        search,
        "mark_deleted (tombstones)",
    )


def _exact() -> Candidate:
    def search(vectors: Array, query: Array, k: int) -> list[int]:
        return [i for i, _ in exact_search(query, k, np.arange(len(vectors)), vectors)]

    return Candidate(
        "numpy exact f32 (the previous dense search)",
        "numpy",
        lambda _, vectors, __: vectors,
        lambda *_: None,
        search,
        "yes",
    )


CANDIDATES = (
    _exact(),
    _usearch(16, 64, 256),
    _usearch(16, 128, 256),
    _usearch(32, 128, 256),
    _faiss(16, 128, 256),
    _faiss(32, 128, 256),
    _hnswlib(16, 128, 256),
    _hnswlib(32, 128, 256),
)


def _real_vectors(embedder: OnnxEmbedder, count: int) -> Array:
    path = CACHE / f"ann-real-{count}.npy"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, embedder.embed(corpus.sentences(count)))
    vectors: Array = np.load(path)
    return vectors


def dataset(size: int, real: int, queries: int) -> tuple[Array, Array]:
    embedder = OnnxEmbedder.load(MODEL_DIR, batch_size=32)
    known = _real_vectors(embedder, min(real, size))
    rng = np.random.default_rng(11)
    synthetic = fill.Gaussian(known, rng).sample(size - len(known))
    vectors = np.concatenate([known, synthetic]).astype(np.float32)
    return vectors, embedder.embed(list(_queries(queries)))


def _measure(candidate: Candidate, vectors: Array, queries: Array, truth: Array) -> list[Record]:
    try:
        module = importlib.import_module(candidate.module)
    except ImportError:
        return [Record("ann", candidate.name, "installed", 0, "")]
    bulk, tail = vectors[:-ONE_BY_ONE], vectors[-ONE_BY_ONE:]
    rss = rss_bytes(os.getpid())
    started = time.perf_counter()
    index = candidate.build(module, bulk, vectors.shape[1])
    built = time.perf_counter() - started
    started = time.perf_counter()
    for offset, vector in enumerate(tail):
        candidate.add_one(index, len(bulk) + offset, vector)
    one = (time.perf_counter() - started) / ONE_BY_ONE
    if candidate.module == "numpy":
        index = vectors
    latencies, found = [], 0
    for query, expected in zip(queries, truth, strict=True):
        started = time.perf_counter()
        keys = candidate.search(index, query, K)
        latencies.append(time.perf_counter() - started)
        found += len(set(keys) & set(expected.tolist()))
    name = candidate.name
    return [
        Record("ann", name, "build", round(built, 1), "s"),
        Record("ann", name, "add_one", round(one * 1000, 3), "ms"),
        Record("ann", name, "p50", round(float(np.median(latencies)) * 1000, 3), "ms"),
        Record("ann", name, "p99", round(float(np.quantile(latencies, 0.99)) * 1000, 3), "ms"),
        Record("ann", name, "recall_at_10", round(found / (K * len(queries)), 4), ""),
        Record("ann", name, "memory", max(rss_bytes(os.getpid()) - rss, 0), "B"),
    ]


def ann(size: int, real: int, queries: int) -> list[Record]:
    vectors, query_vectors = dataset(size, real, queries)
    scores = query_vectors @ vectors.T
    truth = np.argsort(-scores, axis=1)[:, :K]
    records = [Record("ann", "dataset", "vectors", size, "vectors")]
    for candidate in CANDIDATES:
        records += _measure(candidate, vectors, query_vectors, truth)
    return records
