"""Collections (knowledge bases) at scale, through the HTTP API:

- a hybrid query from a key scoped to a collection of `sample` chunks inside the biggest
  store, against the same query on a store that holds only those documents (the target:
  at most 1.5x), and against the big store unscoped; each repeated, interleaved;
- upgrading a store written before collections (schema 6) of `upgrade` chunks: the seconds
  the migration takes, and that every document lands in `default` with every vector as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from bench import fill
from bench.load import run as load_run
from bench.report import Record, summarize
from bench.serving import MODEL_DIR, _bodies, _start, _stop, label
from src.access import CONFIGURED, Role
from src.keys import KeyRing
from src.store import StoreOptions, open_store, opened_catalog
from src.store.sqlite.connection import SQLiteFile, store_file

SAMPLE = "sample"
TOP_K = 5  # what serving's query bodies ask for


def collections(
    stores: Path | None, size: int, sample: int, upgrade: int, reps: int, seconds: int
) -> list[Record]:
    """The figures above; filled stores are kept in `stores` (as serving's) if given."""
    with tempfile.TemporaryDirectory(prefix="rag-bench-collections-") as tmp:
        stores = stores or Path(tmp)
        big = stores / label(size)
        fill.fill(big, MODEL_DIR, size, embedded=min(size, fill.EMBEDDED))
        keys, chunks = _sample_collection(big, sample)
        try:
            small = Path(tmp) / "sample_store"
            _copy_collection(big, small)
            records = [Record("collection_query", "sample", "chunks", chunks, "chunks")]
            records += _latencies(big, small, keys, label(size), reps, seconds)
        finally:
            _drop_keys(big)
        source = stores / label(upgrade)
        fill.fill(source, MODEL_DIR, upgrade, embedded=min(upgrade, fill.EMBEDDED))
        records += _upgrade(source, Path(tmp) / "upgrade", label(upgrade), reps)
    return records


# -- a collection inside the big store -------------------------------------------------------


def _sample_collection(storage: Path, chunks: int) -> tuple[tuple[str, str], int]:
    """The newest documents of the store, `chunks` of them, moved to their own collection;
    a reader key scoped to it, and an admin key."""
    with opened_catalog(storage) as catalog:
        if SAMPLE not in catalog.collection_names():
            catalog.create_collection(SAMPLE, "the benchmark's sample")
        ring = KeyRing(catalog, ())
        _, reader = ring.create(CONFIGURED, "bench-reader", Role.READER, (SAMPLE,))
        _, admin = ring.create(CONFIGURED, "bench-admin", Role.ADMIN, ())
    with sqlite3.connect(store_file(storage)) as conn:
        sample_id = conn.execute("SELECT id FROM collections WHERE name = ?", (SAMPLE,)).fetchone()
        held = conn.execute(
            "SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE collection_id = ?", sample_id
        ).fetchone()[0]
        for rowid, count in conn.execute(
            "SELECT rowid, chunk_count FROM documents WHERE collection_id != ? ORDER BY rowid DESC",
            sample_id,
        ).fetchall():
            if held >= chunks:
                break
            conn.execute(
                "UPDATE documents SET collection_id = ? WHERE rowid = ?", (*sample_id, rowid)
            )
            held += count
    return (reader, admin), int(held)


def _drop_keys(storage: Path) -> None:
    """The store open again, as the other suites use it (a store with a key is closed)."""
    with opened_catalog(storage) as catalog:
        for key in catalog.list_keys():
            catalog.delete_key(key.id)


def _copy_collection(storage: Path, target: Path) -> None:
    """A store of only the sample's documents, vectors and all (into `default`)."""
    options = StoreOptions(dimension=384)
    source, copy = open_store(storage, options), open_store(target, options)
    try:
        ids = source.store.document_ids(SAMPLE)
        for document_id in ids:
            exported = source.store.export_document(document_id)
            if exported is not None:
                record, rows, vectors = exported
                copy.store.put_document(replace(record, collection="default"), rows, vectors)
    finally:
        source.close()
        copy.close()


def _latencies(
    big: Path, small: Path, keys: tuple[str, str], size: str, reps: int, seconds: int
) -> list[Record]:
    scoped, admin = ((f"Authorization: Bearer {key}",) for key in keys)
    runs: dict[str, list[float]] = {}
    big_process, big_url, _ = _start(big)
    small_process, small_url, _ = _start(small)
    try:
        _check_scope(big_url, keys[0])
        bodies = _bodies(500, "hybrid")
        for _ in range(reps):
            for variant, url, headers in (
                (f"sample_in_{size}", big_url, scoped),
                ("sample_alone", small_url, ()),
                (f"all_of_{size}", big_url, admin),
            ):
                result = load_run(url, bodies, 1, seconds, headers)
                if result.errors:
                    raise RuntimeError(f"{variant}: {result.errors} failed requests")
                runs.setdefault(variant, []).append(result.p50_ms)
    finally:
        _stop(big_process)
        _stop(small_process)
    return [
        summarize("collection_query", variant, "p50", values, "ms")
        for variant, values in runs.items()
    ]


def _check_scope(url: str, key: str) -> None:
    """The scoped key's answers fill top_k from its collection alone."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        for body in _bodies(20, "hybrid"):
            response = http.post("/v1/retrieve", content=body)
            if response.status_code != 200:
                raise RuntimeError(f"a scoped query failed: {response.text}")
            hits = response.json()["results"]
            if len(hits) != TOP_K or {hit["collection"] for hit in hits} != {SAMPLE}:
                raise RuntimeError(f"a scoped query was not filled from {SAMPLE}: {hits}")


# -- upgrading a store from before collections -----------------------------------------------


def _upgrade(source: Path, scratch: Path, size: str, reps: int) -> list[Record]:
    seconds = []
    for _ in range(reps):
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(source, scratch)
        path = store_file(scratch)
        _to_schema_6(path)
        before = _vector_digest(path)
        started = time.perf_counter()
        SQLiteFile(path).close()  # opening migrates
        seconds.append(time.perf_counter() - started)
        if _vector_digest(path) != before or _outside_default(path):
            raise RuntimeError("the upgrade changed a vector or left a document outside default")
    return [summarize("upgrade_to_collections", size, "seconds", seconds, "s")]


def _to_schema_6(path: Path) -> None:
    """The store as the release before collections wrote it (the benchmark's stores are
    filled by this release: what came after version 6 is undone, places and job pages too)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == 6:
            return
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.executescript(_SCHEMA_6)
    finally:
        conn.close()


_SCHEMA_6 = """
BEGIN;
CREATE TABLE documents_v6 (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE, media_type TEXT NOT NULL,
    source_name TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}',
    char_count INTEGER NOT NULL, chunk_count INTEGER NOT NULL, created_at TEXT NOT NULL
);
INSERT INTO documents_v6 SELECT rowid, id, title, content_hash, media_type, source_name,
    metadata, char_count, chunk_count, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v6 RENAME TO documents;
CREATE INDEX documents_created ON documents(created_at, rowid);
DROP TABLE key_collections;
DROP TABLE api_keys;
DROP TABLE collections;
ALTER TABLE jobs DROP COLUMN collection;
ALTER TABLE jobs DROP COLUMN pages_total;
ALTER TABLE jobs DROP COLUMN pages_read;
ALTER TABLE chunks DROP COLUMN place;
PRAGMA user_version = 6;
COMMIT;
"""


def _vector_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for (blob,) in conn.execute("SELECT embedding FROM chunks ORDER BY id"):
            digest.update(blob)
    return digest.hexdigest()


def _outside_default(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(
            conn.execute("SELECT count(*) FROM documents WHERE collection_id != 1").fetchone()[0]
        )
