"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Text Embeddings
Inference, Ollama...), for models the image does not bundle: multilingual ones above all.

Texts go in batches, each request retried as src/upstream.py says. Chunks are
still measured with the bundled model's tokenizer: a remote model's own tokenizer is not at
hand, and a WordPiece count is a close, usually generous, stand-in (every CJK character is
one token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import numpy as np

from src.embedding import normalize_rows
from src.errors import EmbeddingError, EmbeddingTimeoutError
from src.models import Matrix
from src.upstream import Upstream, client, post

PROBE_TEXT = "dimension probe"
Spans = Callable[[str], list[tuple[int, int]]]
ENDPOINT = Upstream(
    "the embedding endpoint",
    EmbeddingError,
    EmbeddingTimeoutError,
    unreachable_hint="check RAG_EMBEDDING_BASE_URL and that the endpoint is up",
    timeout_hint="raise RAG_EMBEDDING_TIMEOUT_S, or check the endpoint's load",
)


class RemoteEmbedder:
    """An Embedder whose vectors come over HTTP; `dimension` is learnt from the endpoint."""

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        token_spans: Spans,
        max_tokens: int,
        batch_size: int,
        retries: int,
        languages: tuple[str, ...] = ("*",),
        prefixes: tuple[str, str] = ("", ""),
    ) -> None:
        """`prefixes`: put in front of (queries, passages), for models trained with them."""
        self._client = client
        self._model = model
        self._spans = token_spans
        self._max_tokens = max_tokens
        self._batch_size = batch_size
        self._retries = retries
        self._languages = languages
        self._query_prefix, self._passage_prefix = prefixes
        self._dimension = 0

    @classmethod
    def connect(
        cls, base_url: str, api_key: str, model: str, timeout_s: float, **options: Any
    ) -> RemoteEmbedder:
        """A client for `base_url` (e.g. https://api.openai.com/v1), its dimension probed."""
        http = client(base_url, api_key, timeout_s)
        embedder = cls(http, model, **options)
        embedder._dimension = int(embedder._request([PROBE_TEXT]).shape[1])
        return embedder

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def name(self) -> str:
        return self._model

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self._spans(text)

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        prefix = self._query_prefix if query else self._passage_prefix
        texts = [prefix + text for text in texts] if prefix else texts
        parts = [
            self._request(texts[start : start + self._batch_size])
            for start in range(0, len(texts), self._batch_size)
        ]
        matrix = np.concatenate(parts)
        if self._dimension and matrix.shape[1] != self._dimension:
            raise EmbeddingError(
                f"the embedding endpoint answered {matrix.shape[1]}-dimensional vectors, "
                f"{self._dimension} before",
                hint="RAG_EMBEDDING_MODEL must name one model, served the same way throughout",
            )
        return matrix

    def close(self) -> None:
        self._client.close()

    def _request(self, texts: list[str]) -> Matrix:
        body = {"model": self._model, "input": texts}
        return self._vectors(
            post(self._client, "/embeddings", body, self._retries, ENDPOINT), len(texts)
        )

    def _vectors(self, response: httpx.Response, expected: int) -> Matrix:
        if response.status_code != 200:
            raise EmbeddingError(
                f"the embedding endpoint answered HTTP {response.status_code}: "
                f"{response.text[:300]}",
                hint="check RAG_EMBEDDING_MODEL and RAG_EMBEDDING_API_KEY",
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: int(item["index"]))
            matrix = np.array([item["embedding"] for item in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(
                "the embedding endpoint's answer was not a list of vectors"
            ) from exc
        if matrix.ndim != 2 or len(matrix) != expected or not matrix.shape[1]:
            raise EmbeddingError(
                f"the embedding endpoint answered {len(matrix)} vectors for {expected} texts"
            )
        return normalize_rows(matrix)
