"""The same chunks and the same queries answered by embedded stores a user would pick instead
of rag-api's own (SQLite + usearch + tantivy): LanceDB (vectors, full text, hybrid) and Chroma
(vectors only: its local full-text search is a substring filter, not a ranking).

Each is fed the store's own chunk texts (with their document's title, as rag-api indexes them)
and vectors, built with its defaults (LanceDB's default index is IVF-PQ; the distance is
cosine for all three), and asked in process, one query at a time, with the same query vectors
computed once beforehand: store against store, without HTTP or query embedding on any side
(`retrieve_load` measures those for rag-api). Recall@10 is against exact search over the same
vectors, with the serving benchmark's queries (real text) and with as many queries drawn from
the Gaussian that bench/fill.py fills with (no cluster to fall into: the harder case for a
graph index).

Each store's query-time setting (rag-api's and Chroma's HNSW `ef`, LanceDB's `nprobes` and
`refine_factor`) is swept as well, so that latency can be compared at the recall rag-api
reaches and not only at each store's default (`embedded_<size>_sweep` records)."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench import fill
from bench.report import Record, percentile
from src.config import Settings
from src.embedding import OnnxEmbedder
from src.models import Filters, Matrix, SearchMode
from src.retrieval import Retriever
from src.store import Store, StoreOptions, open_store
from src.store.sqlite.ann import exact_search
from src.store.sqlite.connection import store_file
from src.text.terms import titled_text

Array = np.ndarray[Any, Any]
K = 10
MODES = ("dense", "keyword", "hybrid")
ROWS_PER_READ = 50_000


@dataclass(frozen=True)
class Chunks:
    ids: Array
    texts: list[str]
    vectors: Array


def read_chunks(database: Path, dimension: int) -> Chunks:
    """Every chunk of a rag-api store: id, title + text (what its keyword index holds), vector."""
    ids: list[int] = []
    texts: list[str] = []
    blobs: list[bytes] = []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT c.id, d.title, c.text, c.embedding FROM chunks c"
            " JOIN documents d ON d.rowid = c.doc_rowid ORDER BY c.id"
        )
        for chunk_id, title, text, blob in rows:
            ids.append(chunk_id)
            texts.append(titled_text(title, text))
            blobs.append(blob)
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, dimension)
    return Chunks(np.array(ids, dtype=np.int64), texts, vectors)


DEFAULT = "default"


class Candidate(Protocol):
    name: str
    modes: tuple[str, ...]
    # Query-time settings swept for dense search, `DEFAULT` (the store's own) first.
    settings: tuple[str, ...]

    def build(self, folder: Path, chunks: Chunks) -> None: ...

    def open(self, folder: Path, setting: str = DEFAULT) -> None: ...

    def search(self, mode: str, text: str, vector: Array) -> list[int]: ...

    def close(self) -> None: ...


def _numbers(setting: str) -> dict[str, int]:
    """The numbers of a setting such as "nprobes=50 refine=10"; none for the default."""
    if setting == DEFAULT:
        return {}
    return {key: int(value) for key, value in (part.split("=") for part in setting.split())}


class LanceDB:
    name = "lancedb"
    modes: tuple[str, ...] = MODES
    settings = (
        DEFAULT,
        *(f"nprobes={n} refine={r}" for n, r in ((20, 5), (50, 10), (100, 20), (200, 40))),
    )

    def build(self, folder: Path, chunks: Chunks) -> None:
        import lancedb
        import pyarrow as pa
        from lancedb.index import FTS

        vectors = pa.FixedSizeListArray.from_arrays(
            pa.array(chunks.vectors.ravel()), chunks.vectors.shape[1]
        )
        data = pa.table({"id": pa.array(chunks.ids), "text": chunks.texts, "vector": vectors})
        table = lancedb.connect(folder).create_table("chunks", data=data)
        table.create_index(metric="cosine", vector_column_name="vector")  # IVF-PQ by default
        table.create_index("text", config=FTS())

    def open(self, folder: Path, setting: str = DEFAULT) -> None:
        import lancedb

        self._table = lancedb.connect(folder).open_table("chunks")
        self._setting = _numbers(setting)

    def search(self, mode: str, text: str, vector: Array) -> list[int]:
        from lancedb.query import LanceVectorQueryBuilder

        if mode == "dense":
            query = self._table.search(vector)
            if self._setting:
                assert isinstance(query, LanceVectorQueryBuilder)
                query = query.nprobes(self._setting["nprobes"])
                query = query.refine_factor(self._setting["refine"])
        elif mode == "keyword":
            query = self._table.search(text, query_type="fts")
        else:
            query = self._table.search(query_type="hybrid").vector(vector).text(text)
        rows = query.select(["id", "text"]).limit(K).to_arrow()
        return [int(i) for i in rows.column("id").to_pylist()]

    def close(self) -> None:
        del self._table


class Chroma:
    name = "chroma"
    modes: tuple[str, ...] = ("dense",)
    settings = (DEFAULT, *(f"ef={ef}" for ef in (200, 400, 800)))  # its default ef is 100

    def build(self, folder: Path, chunks: Chunks) -> None:
        import chromadb

        client = chromadb.PersistentClient(str(folder))
        collection = client.create_collection(
            "chunks", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        step = client.get_max_batch_size()
        for start in range(0, len(chunks.ids), step):
            end = start + step
            collection.add(
                ids=[str(i) for i in chunks.ids[start:end]],
                embeddings=chunks.vectors[start:end],
                documents=chunks.texts[start:end],
            )

    def open(self, folder: Path, setting: str = DEFAULT) -> None:
        import chromadb

        client = chromadb.PersistentClient(str(folder))
        self._collection = client.get_collection("chunks", embedding_function=None)
        ef = _numbers(setting).get("ef", 100)
        self._collection.modify(configuration={"hnsw": {"ef_search": ef}})

    def search(self, mode: str, text: str, vector: Array) -> list[int]:
        found = self._collection.query(query_embeddings=[vector], n_results=K)
        return [int(i) for i in found["ids"][0]]

    def close(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        del self._collection
        # Chroma keeps one client per path for the life of the process: a later store at a
        # path whose files were removed would reuse it and fail to open its database.
        SharedSystemClient.clear_system_cache()


class _Known:
    """The model, except that queries are answered with vectors computed beforehand."""

    def __init__(self, model: OnnxEmbedder, vectors: dict[str, Array]) -> None:
        self._model = model
        self._vectors = vectors
        self.dimension = model.dimension
        self.name = model.name
        self.max_tokens = model.max_tokens
        self.languages = model.languages
        self.token_spans = model.token_spans
        self.close = model.close

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        return np.stack([self._vectors[text] for text in texts])


class RagApi:
    """rag-api's own store, through its Retriever: what /v1/retrieve runs under the HTTP layer."""

    name = "rag-api"
    modes: tuple[str, ...] = MODES
    # The service's default is RAG_ANN_EF_SEARCH's, 256.
    settings = (DEFAULT, *(f"ef={ef}" for ef in (64, 128, 512, 1024)))

    def __init__(self, storage: Path, embedder: _Known) -> None:
        self._storage = storage
        self._embedder = embedder

    def build(self, folder: Path, chunks: Chunks) -> None:
        """Already filled (bench/fill.py): measured as it stands."""

    def open(self, folder: Path, setting: str = DEFAULT) -> None:
        ef = _numbers(setting).get("ef", Settings().ann_ef_search)
        options = StoreOptions(self._embedder.dimension, ef_search=ef)
        self._store: Store = open_store(self._storage, options).store
        self._retriever = Retriever(self._store, self._embedder)

    def search(self, mode: str, text: str, vector: Array) -> list[int]:
        hits = self._retriever.retrieve(text, K, SearchMode(mode), Filters())
        return [hit.chunk_id for hit in hits]

    def close(self) -> None:
        self._store.close()


def exact_truth(chunks: Chunks, queries: Array) -> list[set[int]]:
    """Each query's true top K chunk ids, by exact search over the same vectors."""
    return [
        {chunk_id for chunk_id, _ in exact_search(query, K, chunks.ids, chunks.vectors)}
        for query in queries
    ]


def _timed(
    candidate: Candidate, mode: str, texts: list[str], vectors: Array
) -> tuple[list[float], list[list[int]]]:
    latencies, found = [], []
    for text, vector in zip(texts, vectors, strict=True):
        started = time.perf_counter()
        found.append(candidate.search(mode, text, vector))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, found


def recall(found: list[list[int]], truth: list[set[int]]) -> float:
    return sum(len(set(ids) & expected) for ids, expected in zip(found, truth, strict=True)) / (
        K * len(truth)
    )


def disk_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@dataclass(frozen=True)
class Queries:
    texts: list[str]
    vectors: Array
    truth: list[set[int]]


def _measure(
    candidate: Candidate, folder: Path, chunks: Chunks, queries: list[Queries], scenario: str
) -> list[Record]:
    started = time.perf_counter()
    candidate.build(folder, chunks)
    built = time.perf_counter() - started
    started = time.perf_counter()
    candidate.open(folder)
    candidate.search("dense", queries[0].texts[0], queries[0].vectors[0])
    opened = time.perf_counter() - started
    name = candidate.name
    records = [
        Record(scenario, name, "build", round(built, 1), "s"),
        Record(scenario, name, "open_and_first_query", round(opened, 2), "s"),
        Record(scenario, name, "disk", disk_bytes(folder), "B"),
    ]
    try:
        for mode in candidate.modes:
            latencies, found = _timed(candidate, mode, queries[0].texts, queries[0].vectors)
            records += _latencies(scenario, name, mode, latencies)
            if mode == "dense":  # the timed pass's results give the real queries' recall
                share = recall(found, queries[0].truth)
                records.append(Record(scenario, name, "recall_at_10", round(share, 4), ""))
        _, found = _timed(candidate, "dense", queries[1].texts, queries[1].vectors)
        share = recall(found, queries[1].truth)
        records.append(Record(scenario, name, "recall_at_10_gaussian", round(share, 4), ""))
    finally:
        candidate.close()
    return records + _sweep(candidate, folder, queries[0], f"{scenario}_sweep")


def _latencies(scenario: str, variant: str, mode: str, latencies: list[float]) -> list[Record]:
    return [
        Record(scenario, variant, f"{mode}_p50", round(statistics.median(latencies), 2), "ms"),
        Record(scenario, variant, f"{mode}_p95", round(percentile(latencies, 95), 2), "ms"),
    ]


def _sweep(candidate: Candidate, folder: Path, queries: Queries, scenario: str) -> list[Record]:
    """Dense latency and recall at each of the candidate's query settings, each opened
    afresh and warmed with one query."""
    records = []
    for setting in candidate.settings:
        candidate.open(folder, setting)
        try:
            candidate.search("dense", queries.texts[0], queries.vectors[0])
            latencies, found = _timed(candidate, "dense", queries.texts, queries.vectors)
        finally:
            candidate.close()
        variant = f"{candidate.name} {setting}"
        records += _latencies(scenario, variant, "dense", latencies)
        share = round(recall(found, queries.truth), 4)
        records.append(Record(scenario, variant, "recall_at_10", share, ""))
    return records


def compare(
    storage: Path,
    label: str,
    scratch: Path,
    model_dir: Path,
    texts: list[str],
    with_others: bool = True,
) -> list[Record]:
    """rag-api's store, and unless `with_others` is False LanceDB and Chroma fed the same
    chunks, over the chunks stored in `storage`, asked `texts` (and as many Gaussian
    queries); `scratch` holds the others' copies."""
    model = OnnxEmbedder.load(model_dir, batch_size=32)
    chunks = read_chunks(store_file(storage), model.dimension)
    real = model.embed(texts)
    fitted = fill.Gaussian(chunks.vectors[: fill.EMBEDDED], np.random.default_rng(5))
    gaussian = fitted.sample(len(texts))
    gaussian_texts = [f"gaussian query {i}" for i in range(len(texts))]
    queries = [
        Queries(texts, real, exact_truth(chunks, real)),
        Queries(gaussian_texts, gaussian, exact_truth(chunks, gaussian)),
    ]
    known = _Known(model, dict(zip(texts + gaussian_texts, [*real, *gaussian], strict=True)))
    candidates: list[Candidate] = [RagApi(storage, known)]
    if with_others:
        candidates += [LanceDB(), Chroma()]
    records = [Record(f"embedded_{label}", "dataset", "chunks", len(chunks.ids), "chunks")]
    for candidate in candidates:
        folder = storage if isinstance(candidate, RagApi) else scratch / f"{candidate.name}-{label}"
        try:
            records += _measure(candidate, folder, chunks, queries, f"embedded_{label}")
        finally:
            if folder != storage:
                shutil.rmtree(folder, ignore_errors=True)
    return records
