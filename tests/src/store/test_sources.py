"""Sources: a client's stable name for a document, which a new version replaces atomically.
The same operations on the embedded store and on Postgres (a congruence test), readers that
never see zero or two versions while a source is replaced, replicas replacing one source at
once, and a process killed mid-replace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hashed_embedder import HashedEmbedder
from helpers import store_problems, wait_until

from src.errors import NotFoundError
from src.models import ChunkRow, Filters, SearchMode, SourceDocument, Stored
from src.retrieval import Retriever
from src.store import Store, StoreOptions, open_store
from src.store.sqlite.connection import store_file

DIM = 8
CHUNKS = 3
# Every version's chunks get the same vectors: a search finds the old version's chunks and
# the new one's equally near, the hardest case for a reader in the middle of a replace.
VECTORS = np.linalg.qr(np.random.default_rng(7).normal(size=(DIM, DIM)))[0][:CHUNKS].astype(
    np.float32
)


def _version(
    text: str, source: str = "handbook.pdf", collection: str = "default"
) -> SourceDocument:
    return SourceDocument(
        text=text,
        title="Handbook",
        content_hash=f"hash-{text}",
        media_type="text/plain",
        collection=collection,
        source=source,
    )


def _put(
    store: Store, text: str, source: str = "handbook.pdf", collection: str = "default"
) -> Stored:
    chunks = [
        ChunkRow(i, f"leave policy {text} part {i}", i * 10, i * 10 + 9) for i in range(CHUNKS)
    ]
    return store.add_document(_version(text, source, collection), chunks, VECTORS)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path) if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture()
def store(location: str) -> Iterator[Store]:
    backend = open_store(location, StoreOptions(DIM, model="m"))
    yield backend.store
    backend.close()


def test_add_document_with_source_replaces_its_live_version(store: Store) -> None:
    first = _put(store, "v1")
    second = _put(store, "v2")
    assert second.created and second.replaced == first.record.id
    assert (first.record.version, second.record.version) == (1, 2)
    with pytest.raises(NotFoundError):
        store.get_document(first.record.id)
    assert store.counts() == (1, CHUNKS)
    listed, total = store.list_documents(10, 0, source="handbook.pdf")
    assert total == 1 and [d.id for d in listed] == [second.record.id]
    found = store.find_source("handbook.pdf", "default")
    assert found is not None and found.source == "handbook.pdf" and found.version == 2


def test_add_document_same_source_same_content_is_duplicate(store: Store) -> None:
    first = _put(store, "v1")
    again = _put(store, "v1")
    assert not again.created and again.record.id == first.record.id
    assert again.replaced is None and again.record.version == 1
    assert store.counts() == (1, CHUNKS)


def test_add_document_sources_are_per_collection(store: Store) -> None:
    store.catalog.create_collection("legal", "")
    default = _put(store, "v1")
    legal = _put(store, "v2", collection="legal")
    assert legal.replaced is None and legal.record.version == 1
    assert store.get_document(default.record.id).collection == "default"
    assert store.counts() == (2, 2 * CHUNKS)


def test_add_document_sourced_may_hold_what_another_document_holds(store: Store) -> None:
    unsourced = store.add_document(
        _version("same", source=""), [ChunkRow(0, "same", 0, 4)], VECTORS[:1]
    )
    sourced = _put(store, "same")
    other = _put(store, "same", source="copy/handbook.pdf")
    assert unsourced.created and sourced.created and other.created
    again = store.add_document(
        _version("same", source=""), [ChunkRow(0, "same", 0, 4)], VECTORS[:1]
    )
    assert not again.created  # without a source, content dedupe stands
    assert store.counts()[0] == 3


def test_search_after_replace_finds_only_the_new_version(store: Store) -> None:
    _put(store, "v1")
    new = _put(store, "v2").record.id
    dense = store.hydrate(store.dense_search(VECTORS[0], 10, Filters()))
    keyword = store.hydrate(store.keyword_search("leave policy", 10, Filters()))
    assert {h.document_id for h in dense} == {new} == {h.document_id for h in keyword}
    assert {h.text.split()[2] for h in dense + keyword} == {"v2"}


def test_delete_document_of_a_source_frees_it(store: Store) -> None:
    first = _put(store, "v1")
    store.delete_document(first.record.id)
    assert store.find_source("handbook.pdf", "default") is None
    again = _put(store, "v1")
    assert again.created and again.record.version == 1


def _reader(
    retriever: Retriever, mode: SearchMode, stop: threading.Event, seen: list[set[str]]
) -> None:
    while not stop.is_set():
        query = "leave policy part"
        hits = retriever.retrieve(query, 2, mode, vector=VECTORS[0])
        seen.append({h.document_id for h in hits})
        if not hits:
            print("EMPTY", mode, flush=True)


def test_replace_under_readers_never_shows_zero_or_two_versions(store: Store) -> None:
    _put(store, "v0")
    retriever = Retriever(store, HashedEmbedder(DIM))
    stop = threading.Event()
    seen: list[set[str]] = []
    readers = [
        threading.Thread(target=_reader, args=(retriever, mode, stop, seen))
        for mode in [SearchMode.DENSE, SearchMode.KEYWORD] * 4
    ]
    for reader in readers:
        reader.start()
    try:
        for n in range(1, 101):
            _put(store, f"v{n}")
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert len(seen) > 100
    assert [ids for ids in seen if len(ids) != 1] == []


def test_replicas_replacing_one_source_at_once_leave_one_version(pg_url: str) -> None:
    replicas = [open_store(pg_url, StoreOptions(DIM, model="m")) for _ in range(4)]
    results: list[Stored] = []

    def replace(n: int) -> None:
        for round_ in range(10):
            results.append(_put(replicas[n].store, f"replica {n} round {round_}"))

    threads = [threading.Thread(target=replace, args=(n,)) for n in range(len(replicas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        store = replicas[0].store
        live = store.list_documents(100, 0, source="handbook.pdf")[0]
        assert len(live) == 1 and store.counts() == (1, CHUNKS)
        assert sorted(r.record.version for r in results) == list(range(1, 41))
        assert live[0].version == 40
    finally:
        for replica in replicas:
            replica.close()


_REPLACER = """
import sys
import numpy as np
from src.models import ChunkRow, SourceDocument
from src.store import StoreOptions, open_store

backend = open_store(sys.argv[1], StoreOptions(8, model="m"))
vectors = np.eye(8, dtype=np.float32)[:3]
n = 0
while True:
    n += 1
    text = f"version {n} " + "policy text " * 2000
    source = SourceDocument(text, "Handbook", f"hash-{n}", "text/plain", source="handbook.pdf")
    chunks = [ChunkRow(i, text, 0, len(text)) for i in range(3)]
    backend.store.add_document(source, chunks, vectors)
    print(n, flush=True)
"""


def test_kill_mid_replace_leaves_one_whole_version(location: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _REPLACER, location],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    assert process.stdout is not None
    lines: list[str] = []
    wait_until(
        lambda: bool(lines.append(process.stdout.readline()) or len(lines) > 20), 120, "replaces"
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    backend = open_store(location, StoreOptions(DIM, model="m"))
    try:
        live = backend.store.list_documents(10, 0, source="handbook.pdf")[0]
        assert len(live) == 1 and backend.store.counts() == (1, CHUNKS)
        assert live[0].version >= 20
        chunks = backend.store.list_chunks(live[0].id, 10, 0)
        assert [c.text.split()[1] for c in chunks] == [str(live[0].version)] * CHUNKS
    finally:
        backend.close()
    if not location.startswith("postgres"):
        assert store_problems(store_file(Path(location)), DIM) == []


def test_find_sources_matches_the_prefix_literally(store: Store) -> None:
    for source in ("mail%.eml#attachment=a", "mail%.eml#attachment=b", "mailx.eml#attachment=a"):
        _put(store, source, source=source)
    found = store.find_sources("mail%.eml#attachment=", "default")
    assert sorted(d.source for d in found) == ["mail%.eml#attachment=a", "mail%.eml#attachment=b"]
    assert store.find_sources("mail%.eml#attachment=", "other") == []


def test_list_documents_by_source_prefix_pages_them(store: Store) -> None:
    for n in range(5):
        _put(store, f"doc {n}", source=f"shared/hr/{n}.txt")
    _put(store, "other", source="shared/it/x.txt")
    first, total = store.list_documents(3, 0, source_prefix="shared/hr/")
    rest, _ = store.list_documents(3, 3, source_prefix="shared/hr/")
    assert total == 5 and len(first) == 3 and len(rest) == 2
    assert {d.source for d in first + rest} == {f"shared/hr/{n}.txt" for n in range(5)}
