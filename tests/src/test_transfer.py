"""Copying a knowledge base between the SQLite and Postgres stores: whole, without
re-embedding, resumable, idempotent, and refused into a store of another model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
import pytest

from rig.postgres import PASSWORD
from src.access import CONFIGURED, Role
from src.errors import StoreError
from src.keys import KeyRing
from src.models import ChunkRow, Filters, SourceDocument
from src.store import Store
from src.store.sqlite.store import SQLiteStore
from src.transfer import main, open_location, transfer

DIM = 8
MODEL = "model-a"


def _vectors(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _filled(folder: Path, documents: int = 5) -> Path:
    store = SQLiteStore(folder / "rag.sqlite3", DIM, model=MODEL)
    for n in range(documents):
        source = SourceDocument(f"doc {n}", f"Title {n}", f"hash-{n}", "text/plain", "", {"n": n})
        chunks = [ChunkRow(p, f"otter census {n} part {p}", p, p + 1) for p in range(3)]
        store.add_document(source, chunks, _vectors(3, n))
    store.close()
    return folder


def _same_documents(a: Store, b: Store) -> None:
    assert a.counts() == b.counts()
    # Ids, creation times, metadata (the order of two made in the same millisecond may differ).
    by_id = [sorted(s.list_documents(100, 0)[0], key=lambda d: d.id) for s in (a, b)]
    assert by_id[0] == by_id[1]


def test_transfer_sqlite_to_postgres_copies_everything_without_embedding(
    tmp_path: Path, pg_url: str
) -> None:
    source = open_location(str(_filled(tmp_path)), None)
    target = open_location(pg_url, source.space)
    copied = transfer(source, target)
    assert (copied.documents, copied.chunks, copied.skipped) == (5, 15, 0)
    _same_documents(source, target)
    hit = target.hydrate(target.dense_search(_vectors(3, 2)[1], 1, Filters()))[0]
    assert (hit.text, hit.score) == ("otter census 2 part 1", pytest.approx(1.0, abs=1e-5))
    assert target.keyword_search("census", 20, Filters(metadata=(("n", 4),))) != []
    with psycopg.connect(pg_url) as conn:  # dropped for the copy, built once after it
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'chunks'")
        assert "chunks_embedding" in {row[0] for row in indexes}
    again = transfer(source, target)  # idempotent: nothing copied twice
    assert (again.documents, again.skipped) == (0, 5)
    source.close()
    target.close()


def test_transfer_interrupted_resumes_with_the_rest(tmp_path: Path, pg_url: str) -> None:
    source = open_location(str(_filled(tmp_path)), None)
    target = open_location(pg_url, source.space)

    def stop_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        transfer(source, target, stop_after_two)
    assert target.counts() == (2, 6)
    resumed = transfer(source, target)
    assert (resumed.documents, resumed.skipped) == (3, 2)
    _same_documents(source, target)
    source.close()
    target.close()


def test_transfer_postgres_to_sqlite_makes_a_searchable_backup(tmp_path: Path, pg_url: str) -> None:
    first = open_location(str(_filled(tmp_path / "original")), None)
    database = open_location(pg_url, first.space)
    transfer(first, database)
    first.close()
    backup = open_location(str(tmp_path / "backup"), database.space)
    transfer(database, backup)
    _same_documents(database, backup)
    hit = backup.hydrate(backup.dense_search(_vectors(3, 4)[0], 1, Filters()))[0]
    assert hit.text == "otter census 4 part 0"
    assert len(backup.keyword_search("census", 20, Filters())) == 15
    database.close()
    backup.close()


def test_transfer_into_a_store_of_another_model_is_refused(tmp_path: Path, pg_url: str) -> None:
    other = SQLiteStore(tmp_path / "other" / "rag.sqlite3", DIM, model="model-b")
    other.add_document(
        SourceDocument("b", "b", "hash-b", "text/plain"), [ChunkRow(0, "b", 0, 1)], _vectors(1, 9)
    )
    other.close()
    source = open_location(str(_filled(tmp_path / "a")), None)
    with pytest.raises(StoreError, match="model-b"):
        open_location(str(tmp_path / "other"), source.space)
    source.close()


def test_transfer_command_reports_counts_without_the_password(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(_filled(tmp_path, documents=3))
    assert main([folder, pg_url]) == 0
    out, err = capsys.readouterr()
    assert "3 documents (9 chunks) copied, 0 already there" in out
    assert "3/3 documents" in err
    assert main([folder, pg_url]) == 0
    assert "0 documents (0 chunks) copied, 3 already there" in capsys.readouterr().out
    assert main([str(tmp_path / "nothing-here"), pg_url]) == 1
    out, err = capsys.readouterr()
    assert "no store at" in err and PASSWORD not in out + err


def test_transfer_carries_collections_and_keys(tmp_path: Path, pg_url: str) -> None:
    folder = _filled(tmp_path, documents=2)
    store = SQLiteStore(folder / "rag.sqlite3", DIM, model=MODEL)
    store.catalog.create_collection("hr", "Policies")
    source_doc = SourceDocument("doc 0", "HR copy", "hash-0", "text/plain", collection="hr")
    store.add_document(source_doc, [ChunkRow(0, "leave policy", 0, 1)], _vectors(1, 9))
    ring = KeyRing(store.catalog, ())
    record, secret = ring.create(CONFIGURED, "hr-reader", Role.READER, ("hr",))
    store.close()
    source = open_location(str(folder), None)
    target = open_location(pg_url, source.space)
    assert transfer(source, target).documents == 3
    _same_documents(source, target)
    assert target.catalog.get_collection("hr").description == "Policies"
    assert target.catalog.get_collection("hr").documents == 1
    copied = KeyRing(target.catalog, ()).verify(secret)
    assert copied is not None and copied.key_id == record.id
    assert copied.collections == frozenset({"hr"})
    transfer(source, target)  # again: nothing doubled
    assert len(target.catalog.list_keys()) == 1
