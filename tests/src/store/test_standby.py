"""The embedded store opened on standby beside a live one on the same files (a deploy's
next version): it shares what it can, changes nothing the live one owns, catches up on
refresh() and owns everything after take_over()."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from src.errors import StandbyRefusedError
from src.jobs.embedded import INTERRUPTED, EmbeddedJobRunner
from src.models import ChunkRow, Filters, JobStatus, SourceDocument
from src.store import StoreOptions, open_store
from src.store.sqlite.jobs import SQLiteJobs
from src.store.sqlite.keyword import ANALYSIS_FILE
from src.store.sqlite.migrations import LATEST_VERSION
from src.store.sqlite.owner import POLL_S, OwnerLock
from src.store.sqlite.store import SQLiteStore

DIM = 8
QUIET = 3600.0  # seconds between autosaves: none during a test


def _vector(seed: int) -> np.ndarray:  # type: ignore[type-arg]
    row = np.random.default_rng(seed).normal(size=(1, DIM)).astype(np.float32)
    return row / np.linalg.norm(row)


def _add(store: SQLiteStore, name: str, text: str, seed: int, collection: str = "default") -> str:
    source = SourceDocument(
        text=text, title=name, content_hash=name, media_type="text/plain", collection=collection
    )
    return store.add_document(source, [ChunkRow(0, text, 0, len(text))], _vector(seed)).record.id


def _dense(store: SQLiteStore, seed: int, filters: Filters | None = None) -> list[str]:
    hits = store.hydrate(store.dense_search(_vector(seed), 1, filters or Filters()))
    return [hit.document_id for hit in hits]


def _keyword_ids(store: SQLiteStore, text: str) -> list[int]:
    return [chunk for chunk, _ in store.keyword_search(text, 5, Filters())]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("rag.hnsw")}


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    return tmp_path / "rag.sqlite3"


@pytest.fixture()
def live(database: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(database, DIM, save_seconds=QUIET, model="m")
    _add(store, "first", "lighthouse keepers trimmed the lamp wicks", seed=1)
    store._ann.save()  # what the live one last saved
    yield store
    store.close()


def test_open_on_standby_leaves_the_saved_dense_index_alone(
    live: SQLiteStore, database: Path
) -> None:
    second = _add(live, "second", "fog signals sounded every minute", seed=2)  # not saved
    saved = _files(database.parent)
    standby = SQLiteStore(database, DIM, save_seconds=QUIET, model="m", standby=True)
    assert _dense(standby, seed=2) == [second]  # repaired in memory
    standby.close()
    assert _files(database.parent) == saved


def test_refresh_on_standby_takes_in_what_the_live_store_wrote(
    live: SQLiteStore, database: Path
) -> None:
    standby = SQLiteStore(database, DIM, save_seconds=QUIET, model="m", standby=True)
    first = _dense(standby, seed=1)
    live.catalog.create_collection("logs", "")
    new = _add(live, "new", "keepers logged every passing steamer", seed=3, collection="logs")
    live.delete_document(first[0])
    only_logs = Filters(collections=("logs",))
    assert _dense(standby, seed=3, filters=only_logs) == []
    assert _keyword_ids(standby, "steamer") == []
    committed = _keyword_ids(live, "steamer")  # a search commits the live one's changes
    standby.refresh()
    assert _dense(standby, seed=3) == [new]
    assert _dense(standby, seed=3, filters=only_logs) == [new]
    assert _keyword_ids(standby, "steamer") == committed != []
    assert first[0] not in _dense(standby, seed=1)
    standby.close()


def test_take_over_repairs_the_shared_indexes_and_saves(live: SQLiteStore, database: Path) -> None:
    standby = SQLiteStore(database, DIM, save_seconds=QUIET, model="m", standby=True)
    gone = _add(live, "gone", "the storm took the jetty", seed=4)
    ghost = _keyword_ids(live, "jetty")
    live.close()
    with sqlite3.connect(database) as conn:  # deleted behind the indexes' backs
        conn.execute(
            "DELETE FROM chunks WHERE doc_rowid = (SELECT rowid FROM documents WHERE id = ?)",
            (gone,),
        )
    saved = _files(database.parent)
    standby.take_over()
    assert not standby.standby
    assert _keyword_ids(standby, "jetty") == [] != ghost
    assert _files(database.parent) != saved
    standby.close()


def test_open_on_standby_refuses_a_store_to_migrate(live: SQLiteStore, database: Path) -> None:
    live.close()
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION - 1}")
    with pytest.raises(StandbyRefusedError, match=f"needs {LATEST_VERSION}"):
        SQLiteStore(database, DIM, model="m", standby=True)
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION - 1


def test_open_on_standby_refuses_a_keyword_index_to_rebuild(
    live: SQLiteStore, database: Path
) -> None:
    marker = database.with_name("rag.keyword") / ANALYSIS_FILE
    marker.write_text("another analysis")
    with pytest.raises(StandbyRefusedError, match="another schema or text analysis"):
        SQLiteStore(database, DIM, model="m", standby=True)
    assert marker.read_text() == "another analysis"  # the live one's folder is untouched


def test_open_on_standby_refuses_a_missing_store(database: Path) -> None:
    with pytest.raises(StandbyRefusedError, match="no store"):
        SQLiteStore(database, DIM, standby=True)
    assert not database.exists()


def _runner(jobs: SQLiteJobs, standby: bool) -> EmbeddedJobRunner:
    return EmbeddedJobRunner(jobs, lambda *a: None, lambda *a: None, 4, standby)  # type: ignore[arg-type,return-value]


def test_take_over_fails_the_stopped_process_jobs_only(live: SQLiteStore) -> None:
    jobs = SQLiteJobs(live.file)
    theirs = jobs.create_job(10, "default")
    runner = _runner(jobs, standby=True)
    assert jobs.get_job(theirs.id).status is JobStatus.QUEUED
    ours = jobs.create_job(10, "default")
    runner._own.add(ours.id)  # as submit() records it
    runner.take_over()
    assert jobs.get_job(theirs.id).status is JobStatus.FAILED
    assert jobs.get_job(theirs.id).error == INTERRUPTED
    assert jobs.get_job(ours.id).status is JobStatus.QUEUED
    runner.stop()


def test_start_alone_fails_every_unfinished_job(live: SQLiteStore) -> None:
    jobs = SQLiteJobs(live.file)
    theirs = jobs.create_job(10, "default")
    _runner(jobs, standby=False).stop()
    assert jobs.get_job(theirs.id).status is JobStatus.FAILED


def test_owner_lock_passes_to_the_waiting_process_when_the_owner_lets_go(tmp_path: Path) -> None:
    owner, waiting = OwnerLock(tmp_path), OwnerLock(tmp_path)
    assert owner.acquire() and not waiting.acquire()
    taken = threading.Event()
    waiting.when_acquired(taken.set)
    assert not taken.wait(3 * POLL_S)
    owner.release()
    assert taken.wait(30) and waiting.held
    waiting.stop_waiting()
    waiting.release()
    assert OwnerLock(tmp_path).acquire()


def test_open_by_the_service_beside_an_owner_stands_by(live: SQLiteStore, database: Path) -> None:
    held = OwnerLock(database.parent)
    assert held.acquire()
    options = StoreOptions(dimension=DIM, model="m", owned=True)
    backend = open_store(database.parent, options)
    assert backend.store.standby
    backend.close()
    held.release()
    backend = open_store(database.parent, options)
    assert not backend.store.standby
    backend.close()
