"""The BM25 index beside the store: stemmed matching, filters, and repair on open."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from src.models import ChunkRow, Filters, SourceDocument
from src.store.sqlite.keyword import KeywordIndex
from src.store.sqlite.store import SQLiteStore

DIM = 8


def _add(store: SQLiteStore, name: str, texts: list[str], **metadata: object) -> str:
    source = SourceDocument(
        text=name, title=name, content_hash=name, media_type="text/plain", metadata=metadata
    )
    chunks = [ChunkRow(i, text, i, i + 1) for i, text in enumerate(texts)]
    vectors = np.ones((len(texts), DIM), dtype=np.float32) / np.sqrt(DIM)
    return store.add_document(source, chunks, vectors).record.id


def _docs(store: SQLiteStore, query: str, k: int = 10, filters: Filters | None = None) -> list[str]:
    hits = store.hydrate(store.keyword_search(query, k, filters or Filters()))
    return [hit.document_id for hit in hits]


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    return tmp_path / "rag.sqlite3"


def test_keyword_search_matches_stems_and_ranks_by_bm25(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    once = _add(store, "once", ["the ferry was running late past the harbour"])
    twice = _add(store, "twice", ["ferries run; a ferry runs every hour, ferry timetables"])
    _add(store, "none", ["mountain goats climb cliffs"])
    assert _docs(store, "Ferry RUNNING?") == [twice, once]


def test_keyword_search_within_filter_fills_top_k(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    for n in range(30):
        _add(store, f"loud{n}", [f"otter otter otter census {n}"], kind="loud")
    quiet = _add(store, "quiet", [f"a single otter, part {i}" for i in range(6)], kind="quiet")
    filtered = _docs(store, "otter census", 5, Filters(metadata=(("kind", "quiet"),)))
    assert filtered == [quiet] * 5


def test_reopen_repairs_keyword_index_left_behind(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    gone = _add(store, "gone", ["walrus colonies haul out on ice"])
    kept = _add(store, "kept", ["walrus tusks grow for life"])
    store.close()
    # A later session's writes reach SQLite but not the index (as after a kill -9): the
    # index folder is put back as it was before them.
    folder = database.with_name("rag.keyword")
    saved = {p: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    store = SQLiteStore(database, DIM)
    store.delete_document(gone)
    new = _add(store, "new", ["walrus calves swim with their mothers"])
    store.close()
    for p in folder.iterdir():
        if p.is_file() and p not in saved:
            p.unlink()
    for p, data in saved.items():
        p.write_bytes(data)
    reopened = SQLiteStore(database, DIM)
    assert sorted(_docs(reopened, "walrus")) == sorted([kept, new])
    assert len(reopened._keyword) == 2


def test_open_without_keyword_folder_rebuilds_it(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    kept = _add(store, "kept", ["narwhal tusks are teeth"])
    store.close()
    for p in database.with_name("rag.keyword").iterdir():
        p.write_bytes(b"garbage")
    reopened = SQLiteStore(database, DIM)
    assert _docs(reopened, "narwhal") == [kept]


def test_index_without_documents_answers_nothing(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "empty")
    assert index.search("anything at all", 5) == []
    assert index.search("anything", 5, allowed_docs=[]) == []


def test_reopen_in_step_keeps_index_as_is(database: Path) -> None:
    store = SQLiteStore(database, DIM)
    kept = _add(store, "kept", ["beluga whales sing"])
    store.close()
    folder = database.with_name("rag.keyword")
    before = sorted(p.name for p in folder.iterdir())
    reopened = SQLiteStore(database, DIM)
    assert sorted(p.name for p in folder.iterdir()) == before  # not rebuilt
    assert _docs(reopened, "beluga") == [kept]


def test_two_stores_on_one_folder_both_write(database: Path) -> None:
    # A deploy runs the next version beside the current one on the same storage.
    current = SQLiteStore(database, DIM)
    _add(current, "before", ["puffins nest in burrows"])
    following = SQLiteStore(database, DIM)
    by_following = _add(following, "following", ["puffins carry fish crosswise"])
    by_current = _add(current, "current", ["puffins flap fast"])
    following.close()
    current.close()
    reopened = SQLiteStore(database, DIM)
    assert {by_following, by_current} <= set(_docs(reopened, "puffins"))
