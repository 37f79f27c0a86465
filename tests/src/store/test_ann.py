"""The dense index beside the store: rebuilt when missing or corrupt, repaired when stale,
exact under selective filters, and close to exact search everywhere else."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from src.models import ChunkRow, Filters, SourceDocument
from src.store import core
from src.store.sqlite.ann import AnnIndex, AnnParams, exact_search
from src.store.sqlite.store import SQLiteStore

DIM = 32
ROOT = Path(__file__).resolve().parents[3]


def _vectors(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _add(store: SQLiteStore, name: str, n: int, seed: int, **metadata: object) -> str:
    source = SourceDocument(
        text=name, title=name, content_hash=name, media_type="text/plain", metadata=metadata
    )
    chunks = [ChunkRow(i, f"{name} {i}", i, i + 1) for i in range(n)]
    return store.add_document(source, chunks, _vectors(n, seed)).record.id


def _stored_ids(database: Path) -> set[int]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM chunks")}


def _found_docs(store: SQLiteStore, query: np.ndarray, k: int) -> set[str]:  # type: ignore[type-arg]
    return {hit.document_id for hit in store.hydrate(store.dense_search(query, k, Filters()))}


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    return tmp_path / "rag.sqlite3"


def test_open_without_index_file_rebuilds_it(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    kept = _add(store, "kept", 5, seed=1)
    store.close()
    index_file = database.with_name("rag.hnsw")
    index_file.unlink()
    reopened = SQLiteStore(database, DIM)
    assert index_file.is_file()
    assert _found_docs(reopened, _vectors(5, 1)[3], 1) == {kept}
    assert reopened.counts() == (1, 5)


def test_open_corrupt_index_file_rebuilds_it(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    kept = _add(store, "kept", 5, seed=1)
    store.close()
    index_file = database.with_name("rag.hnsw")
    data = bytearray(index_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: still loadable, silently wrong
    index_file.write_bytes(bytes(data))
    reopened = SQLiteStore(database, DIM)
    hits = reopened.hydrate(reopened.dense_search(_vectors(5, 1)[3], 1, Filters()))
    assert hits[0].document_id == kept and hits[0].score == pytest.approx(1.0, abs=1e-3)


def test_open_stale_index_drops_deleted_and_adds_committed(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    gone, kept = _add(store, "gone", 4, seed=1), _add(store, "kept", 4, seed=2)
    store.close()
    # Changes committed to SQLite but never saved to the index file: a kill -9 right after.
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from src.store.sqlite.store import SQLiteStore\n"
        "from tests.src.store.test_ann import DIM, _add\n"
        "store = SQLiteStore(Path(sys.argv[1]), DIM, save_seconds=3600)\n"
        "store.delete_document(sys.argv[2])\n"
        "print(_add(store, 'new', 4, seed=3), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", script, str(database), gone],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    new = crashed.stdout.strip()
    reopened = SQLiteStore(database, DIM)
    assert reopened.counts() == (2, 8)
    assert _found_docs(reopened, _vectors(4, 1)[0], 8) == {kept, new}
    assert _found_docs(reopened, _vectors(4, 3)[1], 1) == {new}


def test_add_after_delete_never_reuses_chunk_ids(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    _add(store, "first", 3, seed=1)
    before = _stored_ids(database)
    store.delete_document(store.find_by_hash("first", "default").id)  # type: ignore[union-attr]
    _add(store, "second", 3, seed=2)
    assert min(_stored_ids(database)) > max(before)


def test_selective_filter_fills_top_k_exactly(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    for n in range(40):
        _add(store, f"doc{n}", 5, seed=n, group="rare" if n == 7 else "common")
    query = _vectors(1, 99)[0]
    hits = store.hydrate(store.dense_search(query, 5, Filters(metadata=(("group", "rare"),))))
    assert len(hits) == 5 and {hit.title for hit in hits} == {"doc7"}


def test_filter_past_exact_limit_fills_top_k_from_candidates(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "EXACT_MAX_CHUNKS", 10)
    store = SQLiteStore(database, DIM)
    for n in range(60):
        _add(store, f"doc{n}", 5, seed=n, group="few" if n % 10 == 0 else "many")
    query = _vectors(1, 99)[0]
    few = Filters(metadata=(("group", "few"),))
    scored = store.dense_search(query, 20, few)
    hits = store.hydrate(scored)
    assert len(hits) == 20 and {int(h.title[3:]) % 10 for h in hits} == {0}
    # Chunk ids run from 1 in insertion order: document n holds 5n+1 .. 5n+5.
    vectors = np.concatenate([_vectors(5, n) for n in range(0, 60, 10)])
    ids = np.concatenate([np.arange(5 * n + 1, 5 * n + 6) for n in range(0, 60, 10)])
    expected = exact_search(query, 20, ids, vectors)
    assert {c for c, _ in scored} == {c for c, _ in expected}


def test_search_after_reopen_matches_exact_search(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    for n in range(50):
        _add(store, f"doc{n}", 40, seed=n)
    store.close()
    reopened = SQLiteStore(database, DIM)
    everything = np.concatenate([_vectors(40, n) for n in range(50)])
    queries = _vectors(50, 1234)
    found = 0
    for query in queries:
        exact = {c for c, _ in exact_search(query, 10, np.arange(1, 2001), everything)}
        found += len(exact & {c for c, _ in reopened.dense_search(query, 10, Filters())})
    assert found / (10 * len(queries)) >= 0.95


def test_exact_setting_scans_every_vector(database: Path) -> None:
    store = SQLiteStore(database, DIM, AnnParams(DIM, expansion_search=16, exact=True))
    for n in range(50):
        _add(store, f"doc{n}", 40, seed=n)
    everything = np.concatenate([_vectors(40, n) for n in range(50)])
    for query in _vectors(20, 4321):
        exact = [c for c, _ in exact_search(query, 10, np.arange(1, 2001), everything)]
        assert [c for c, _ in store.dense_search(query, 10, Filters())] == exact


def test_bulk_load_indexes_everything_on_next_open(database: Path) -> None:
    loading = SQLiteStore(database, DIM, bulk_load=True)
    ids = [_add(loading, f"doc{n}", 10, seed=n) for n in range(30)]
    loading.close()
    store = SQLiteStore(database, DIM)
    assert store.counts() == (30, 300)
    assert _found_docs(store, _vectors(10, 17)[4], 1) == {ids[17]}
    assert {h.document_id for h in store.hydrate(store.keyword_search("doc17", 5, Filters()))} == {
        ids[17]
    }


def test_search_concurrently_answers_each_query_its_own_neighbours(tmp_path: Path) -> None:
    index = AnnIndex(tmp_path / "rag.hnsw", AnnParams(DIM))
    vectors = _vectors(2000, seed=3)
    index.open(np.arange(0), lambda _: iter(()))
    index.add(np.arange(2000, dtype=np.int64), vectors)
    queries = _vectors(64, seed=4)
    alone = [index.search(query, 1 + i % 7) for i, query in enumerate(queries)]
    with ThreadPoolExecutor(16) as pool:  # concurrent searches are answered in batches
        together = list(pool.map(lambda i: index.search(queries[i], 1 + i % 7), range(64)))
    assert [len(found) for found in together] == [1 + i % 7 for i in range(64)]
    assert [[k for k, _ in found] for found in together] == [[k for k, _ in f] for f in alone]


def test_open_rebuilds_dense_index_saved_with_another_models_vectors(database: Path) -> None:
    store = SQLiteStore(database, DIM, model="model-a")
    _add(store, "doc", 5, seed=1)
    store.close()
    # As after a reindex that a still-running service outlived: the store now records
    # model-b, but the service's last save of the index holds model-a's vectors.
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE properties SET value = 'model-b' WHERE name = 'embedding_model'")
    meta = database.with_name("rag.hnsw.json")
    assert json.loads(meta.read_text())["model"] == "model-a"
    reopened = SQLiteStore(database, DIM, model="model-b")
    assert json.loads(meta.read_text())["model"] == "model-b"
    assert len(reopened._ann) == 5
    reopened.close()


def test_open_keeps_dense_index_saved_before_models_were_recorded(database: Path) -> None:
    store = SQLiteStore(database, DIM)  # no model: the file records none, as old ones
    _add(store, "doc", 5, seed=1)
    store.close()
    meta = database.with_name("rag.hnsw.json")
    before = meta.read_text()
    assert "model" not in json.loads(before)
    SQLiteStore(database, DIM, model="all-MiniLM-L6-v2").close()
    assert meta.read_text() == before  # loaded as it was, not rebuilt
