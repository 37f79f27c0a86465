"""The same knowledge base served from the embedded store and from Postgres + pgvector, side
by side in one run: /v1/retrieve over HTTP (1 and 16 clients, each mode; the serving suite's
queries), dense recall@10 against exact search, the copy into Postgres (`python -m
src.transfer`), and disk. Postgres runs in a container on the local engine (the
pgvector/pgvector:pg17 image, with its default settings), the service from source."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import psycopg

from bench import alternatives, fill, load, serving
from bench.report import Record
from ragctl.docker import Docker
from rig.ecr import free_port
from rig.postgres import PostgresServer
from src.embedding import OnnxEmbedder
from src.models import Filters
from src.store.properties import EmbeddingSpace
from src.transfer import open_location, transfer

K = alternatives.K
VARIANTS = ("sqlite", "postgres")


def postgres(
    sizes: list[int], seconds: int, stores: Path | None = None, reps: int = 1
) -> list[Record]:
    load.wrk_path()  # fail early, before minutes of filling
    server = PostgresServer.start(Docker(), free_port())
    records: list[Record] = []
    try:
        with tempfile.TemporaryDirectory(prefix="rag-bench-pg-") as tmp:
            for size in sorted(sizes):
                storage = (stores or Path(tmp)) / serving.label(size)
                records += _compare(server, storage, size, seconds, reps)
    finally:
        server.remove()
    return records


def _compare(
    server: PostgresServer, storage: Path, size: int, seconds: int, reps: int
) -> list[Record]:
    stored = fill.fill(storage, serving.MODEL_DIR, size, embedded=min(size, fill.EMBEDDED))
    label = serving.label(stored)
    url = server.new_database()
    model = OnnxEmbedder.load(serving.MODEL_DIR, batch_size=32)
    space = EmbeddingSpace(model.name, model.dimension)
    records = [_copy(storage, url, label, space)]
    records += _disk(storage, url, label)
    records += _recall(storage, url, label, model, space)
    for variant in VARIANTS:
        settings = {"RAG_DATABASE_URL": url} if variant == "postgres" else {}
        process, http_url, _ = serving._start(storage, settings)
        try:
            records += serving.retrieve_load(http_url, f"{label}_{variant}", seconds, reps)
        finally:
            serving._stop(process)
    return records


def _copy(storage: Path, url: str, label: str, space: EmbeddingSpace) -> Record:
    source = open_location(str(storage), space)
    target = open_location(url, space)
    started = time.perf_counter()
    try:
        copied = transfer(source, target)
    finally:
        source.close()
        target.close()
    rate = copied.chunks / (time.perf_counter() - started)
    return Record(f"postgres_{label}", "transfer", "throughput", round(rate, 1), "chunks/s")


def _disk(storage: Path, url: str, label: str) -> list[Record]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return [
        Record(f"postgres_{label}", "sqlite", "disk", alternatives.disk_bytes(storage), "B"),
        Record(f"postgres_{label}", "postgres", "disk", int(row[0]) if row else 0, "B"),
    ]


def _recall(
    storage: Path, url: str, label: str, model: OnnxEmbedder, space: EmbeddingSpace
) -> list[Record]:
    """Dense recall@10 of each store against exact search over the same vectors, with the
    serving suite's real queries."""
    chunks = alternatives.read_chunks(storage / "rag.sqlite3", model.dimension)
    queries = model.embed(list(serving._queries(200)))
    truth = alternatives.exact_truth(chunks, queries)
    records = []
    for variant, location in zip(VARIANTS, (str(storage), url), strict=True):
        store = open_location(location, space)
        try:
            found = [[c for c, _ in store.dense_search(q, K, Filters())] for q in queries]
        finally:
            store.close()
        recall = alternatives.recall(found, truth)
        records.append(Record(f"postgres_{label}", variant, "recall_at_10", round(recall, 4), ""))
    return records
