"""Embeddings from an OpenAI-compatible endpoint: batching, normalisation, retries on 429
and 5xx, and each way the endpoint can fail, against a real HTTP server."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FakeEmbeddings, free_port
from fake_embeddings import vector

from src.errors import EmbeddingError, EmbeddingTimeoutError
from src.remote_embedding import RemoteEmbedder


def _connect(
    url: str, timeout_s: float = 2.0, retries: int = 2, prefixes: tuple[str, str] = ("", "")
) -> RemoteEmbedder:
    return RemoteEmbedder.connect(
        url,
        "sk-test",
        "fake-embed",
        timeout_s,
        token_spans=lambda text: [(i, i + 1) for i in range(len(text))],
        max_tokens=512,
        batch_size=4,
        retries=retries,
        prefixes=prefixes,
    )


@pytest.fixture()
def embedder(fake_embeddings: FakeEmbeddings) -> RemoteEmbedder:
    return _connect(f"{fake_embeddings.url}/v1")


def test_connect_learns_the_dimension(fake_embeddings: FakeEmbeddings) -> None:
    fake_embeddings.set("ok", dimension=48)
    assert _connect(f"{fake_embeddings.url}/v1").dimension == 48


def test_embed_sends_batches_and_returns_rows_in_order(
    embedder: RemoteEmbedder, fake_embeddings: FakeEmbeddings
) -> None:
    before = fake_embeddings.calls()
    texts = [f"text number {i}" for i in range(10)]
    vectors = embedder.embed(texts)
    assert fake_embeddings.calls() - before == 3  # batches of 4, 4 and 2
    assert vectors.shape == (10, 64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[7], embedder.embed(["text number 7"])[0])


def test_embed_retries_rate_limits_then_succeeds(
    embedder: RemoteEmbedder, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.set("flaky", failures=2)
    before = fake_embeddings.calls()
    assert embedder.embed(["retried"]).shape == (1, 64)
    assert fake_embeddings.calls() - before == 3


def test_embed_server_error_fails_after_its_retries(
    embedder: RemoteEmbedder, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.set("error")
    before = fake_embeddings.calls()
    with pytest.raises(EmbeddingError, match="HTTP 500"):
        embedder.embed(["fails"])
    assert fake_embeddings.calls() - before == 3  # the first try and 2 retries


def test_embed_slow_endpoint_raises_timeout(fake_embeddings: FakeEmbeddings) -> None:
    embedder = _connect(f"{fake_embeddings.url}/v1", timeout_s=0.5, retries=0)
    fake_embeddings.set("slow", delay=3)
    with pytest.raises(EmbeddingTimeoutError, match="did not answer in time"):
        embedder.embed(["slow"])


def test_embed_wrong_number_of_vectors_is_an_error(
    embedder: RemoteEmbedder, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.set("garbage")
    with pytest.raises(EmbeddingError, match="1 vectors for 2 texts"):
        embedder.embed(["one", "two"])


def test_connect_unreachable_endpoint_is_an_error() -> None:
    with pytest.raises(EmbeddingError, match="could not be reached"):
        _connect(f"http://127.0.0.1:{free_port()}/v1", retries=1)


def test_embed_puts_the_query_and_passage_prefixes_in_front(
    fake_embeddings: FakeEmbeddings,
) -> None:
    embedder = _connect(f"{fake_embeddings.url}/v1", prefixes=("query: ", "passage: "))
    as_query = embedder.embed(["walrus tusks"], query=True)[0]
    as_passage = embedder.embed(["walrus tusks"])[0]
    assert np.allclose(as_query, vector("query: walrus tusks", 64))
    assert np.allclose(as_passage, vector("passage: walrus tusks", 64))
