"""A store of many chunks for the latency and memory benchmarks, written through the same
Store.add_document call that ingestion uses, from real documents (bench/corpus.py) cut by the
service's own chunker.

Embedding 100k chunks with the model takes ~45 min on 2 cores (ingest throughput is measured
on its own, through HTTP). So only the first `embedded` chunks get the model's vectors; every
later chunk gets a vector drawn from a Gaussian with the mean and covariance of those real
ones, normalised. That keeps their spread over every direction the model uses but none of
their cluster structure: harder for an HNSW index than real text (near-copies of real vectors
would be easier, and flatter recall), so recall measured on such a store is a lower bound.

The corpus holds ~50k chunks on a machine with the dev environment; past that it is read again
with its sentences, then its paragraphs, in reverse order, then with its sentences shuffled:
the same prose, cut into different chunks (and different documents to the content-hash
dedupe)."""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus
from src.config import Settings
from src.embedding import OnnxEmbedder, normalize_rows
from src.ingest import Ingestor
from src.parsing import extract_text
from src.store import StoreOptions, open_store
from src.store.sqlite.connection import store_file

EMBEDDED = 5000  # chunks that get the model's own vectors; the rest are Gaussian samples


class Gaussian:
    """Samples unit vectors from the Gaussian fitted to a set of real embeddings."""

    def __init__(self, real: np.ndarray[Any, Any], rng: np.random.Generator) -> None:
        self._mean = real.mean(axis=0)
        covariance = np.cov(real, rowvar=False) + 1e-6 * np.eye(real.shape[1])
        self._factor = np.linalg.cholesky(covariance)
        self._rng = rng

    def sample(self, n: int) -> np.ndarray[Any, Any]:
        z = self._rng.standard_normal((n, len(self._mean)))
        return normalize_rows((self._mean + z @ self._factor.T).astype(np.float32))


class _Vectors:
    """The model's embeddings for the first `embedded` chunks, then Gaussian samples fitted
    to them."""

    def __init__(self, embedder: OnnxEmbedder, embedded: int, rng: np.random.Generator) -> None:
        self._embedder = embedder
        self._embedded = embedded
        self._rng = rng
        self._real: list[np.ndarray[Any, Any]] = []
        self._gaussian: Gaussian | None = None

    def __call__(self, texts: list[str]) -> np.ndarray[Any, Any]:
        if sum(len(real) for real in self._real) < self._embedded:
            vectors = self._embedder.embed(texts)
            self._real.append(vectors)
            return vectors
        if self._gaussian is None:  # done embedding: fit once
            self._gaussian = Gaussian(np.concatenate(self._real), self._rng)
        return self._gaussian.sample(len(texts))


def _sentences_reversed(text: str) -> str:
    return "\n\n".join(
        " ".join(reversed(paragraph.split(". "))) for paragraph in text.split("\n\n")
    )


def _paragraphs_reversed(text: str) -> str:
    return "\n\n".join(reversed(text.split("\n\n")))


PASSES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("", lambda text: text),
    (" (sentences reversed)", _sentences_reversed),
    (" (paragraphs reversed)", _paragraphs_reversed),
)


def _sentences_shuffled(seed: int) -> Callable[[str], str]:
    def transform(text: str) -> str:
        rng = random.Random(seed)  # noqa: S311 - a fixed reordering, not a secret
        paragraphs = [paragraph.split(". ") for paragraph in text.split("\n\n")]
        for sentences in paragraphs:
            rng.shuffle(sentences)
        return "\n\n".join(". ".join(sentences) for sentences in paragraphs)

    return transform


def documents() -> Iterator[tuple[str, str]]:
    """The corpus (read lazily: a small store needs only its start), then its re-read passes;
    past those (a million chunks needs ~20 readings), its sentences shuffled, seed by seed."""
    read = []
    for document in corpus.documents():
        read.append(document)
        yield document
    for suffix, transform in PASSES[1:]:
        for title, text in read:
            yield title + suffix, transform(text)
    for seed in itertools.count(1):
        shuffled = _sentences_shuffled(seed)
        for title, text in read:
            yield f"{title} (shuffle {seed})", shuffled(text)


def _stored_chunks(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])


def fill(storage: Path, model_dir: Path, target: int, embedded: int) -> int:
    """Add corpus documents until the store holds at least `target` chunks (or the corpus
    runs out); returns the number of chunks stored."""
    settings = Settings(storage_dir=storage, model_dir=model_dir)
    embedder = OnnxEmbedder.load(model_dir, batch_size=32)
    storage.mkdir(parents=True, exist_ok=True)
    # Indexes are built once at the end, on every core (per document they take hours at 1M).
    store = open_store(storage, StoreOptions(embedder.dimension, bulk_load=True)).store
    ingestor = Ingestor(
        store,
        embedder,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        batch_size=32,
        extract=extract_text,  # text only here: no files to parse in a worker
        max_chars=settings.max_document_chars,
    )
    vectors_for = _Vectors(embedder, embedded, np.random.default_rng(7))
    stored = _stored_chunks(store_file(storage))
    try:
        for title, text in documents():
            if stored >= target:
                break
            prepared = ingestor.prepare_text(text, title=title)
            if not prepared.chunks or store.find_by_hash(prepared.source.content_hash, "default"):
                continue
            vectors = vectors_for(ingestor.embedded_texts(prepared))
            store.add_document(prepared.source, prepared.chunks, vectors)
            stored += len(prepared.chunks)
        return stored
    finally:
        store.close()
        open_store(storage, StoreOptions(embedder.dimension)).close()
