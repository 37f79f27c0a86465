"""Switching a store to another embedding model: every chunk re-embedded as ingestion
embeds it, resumable after a failure, the old vectors whole until the switch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbeddings
from fake_embeddings import vector

from src import reindex as reindex_module
from src.config import Settings
from src.errors import EmbeddingError, StoreError
from src.models import ChunkRow, Filters, SourceDocument
from src.reindex import reindex
from src.store.properties import EmbeddingSpace
from src.store.sqlite.store import SQLiteStore
from src.wiring import load_embedder

OLD_DIM = 8
TEXTS = ["镜像构建缓存", "磁盘空间清理", "ferry timetables", "walrus tusks", "otter census", "码头"]


def _settings(storage: Path, model_dir: Path, fake: FakeEmbeddings) -> Settings:
    return Settings(
        storage_dir=storage,
        model_dir=model_dir,
        **{k.lower(): v for k, v in fake.settings().items()},
    )


@pytest.fixture()
def old_store(tmp_path: Path) -> Path:
    """A store made by an 8-dimensional 'old-model': one chunk per document."""
    path = tmp_path / "rag.sqlite3"
    store = SQLiteStore(path, OLD_DIM, model="old-model")
    for text in TEXTS:
        source = SourceDocument(text, "untitled", text, "text/plain")
        vector = np.ones((1, OLD_DIM), dtype=np.float32) / np.sqrt(OLD_DIM)
        store.add_document(source, [ChunkRow(0, text, 0, len(text))], vector)
    store.close()
    return path


def _staged(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM reembedded").fetchone()[0])


def test_reindex_switches_every_chunk_to_the_configured_model(
    old_store: Path, model_dir: Path, fake_embeddings: FakeEmbeddings
) -> None:
    settings = _settings(old_store.parent, model_dir, fake_embeddings)
    assert reindex(settings) == len(TEXTS)
    store = SQLiteStore(old_store, 64, model="fake-embed")
    assert store.space == EmbeddingSpace("fake-embed", 64)
    query = np.array(vector("磁盘空间清理", 64), dtype=np.float32)
    best = store.hydrate(store.dense_search(query, 1, Filters()))[0]
    assert best.text == "磁盘空间清理"
    store.close()


def test_reindex_interrupted_keeps_old_vectors_and_resumes(
    old_store: Path,
    model_dir: Path,
    fake_embeddings: FakeEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reindex_module, "BATCH", 2)
    settings = _settings(old_store.parent, model_dir, fake_embeddings)
    fake_embeddings.set("ok", fail_after=2)  # the probe and one batch, then 503s
    with pytest.raises(EmbeddingError):
        reindex(settings)
    assert _staged(old_store) == 2
    with pytest.raises(StoreError, match="old-model"):
        SQLiteStore(old_store, 64, model="fake-embed")
    SQLiteStore(old_store, OLD_DIM, model="old-model").close()  # still whole

    fake_embeddings.set("ok")
    before = fake_embeddings.calls()
    assert reindex(settings) == len(TEXTS)
    assert fake_embeddings.calls() - before == 1 + 2  # the probe, then the 4 chunks left
    assert _staged(old_store) == 0
    SQLiteStore(old_store, 64, model="fake-embed").close()


def test_reindex_with_a_database_configured_is_refused_with_the_way_round(
    tmp_path: Path, model_dir: Path
) -> None:
    settings = Settings(
        storage_dir=tmp_path, model_dir=model_dir, database_url="postgresql://rag@db/rag"
    )
    with pytest.raises(StoreError, match="embedded store") as refused:
        reindex(settings)
    assert "src.transfer" in refused.value.hint


def test_reindex_to_the_multilingual_local_model_reads_chinese(
    old_store: Path, e5_dir: Path
) -> None:
    settings = Settings(
        storage_dir=old_store.parent,
        model_dir=e5_dir.parent / "all-MiniLM-L6-v2",
        local_model=e5_dir.name,
    )
    assert reindex(settings) == len(TEXTS)
    store = SQLiteStore(old_store, 384, model="multilingual-e5-small")
    embedder = load_embedder(settings)
    query = embedder.embed(["怎么清理磁盘空间"], query=True)[0]
    best = store.hydrate(store.dense_search(query, 1, Filters()))[0]
    assert best.text == "磁盘空间清理"
    store.close()
