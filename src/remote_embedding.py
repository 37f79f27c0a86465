"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Text Embeddings
Inference, Ollama...), for models the image does not bundle: multilingual ones above all.

Texts go in batches; a 429, a 5xx or a dropped connection is retried with exponential backoff
(a Retry-After header is honoured, within bounds); anything else fails at once. Chunks are
still measured with the bundled model's tokenizer: a remote model's own tokenizer is not at
hand, and a WordPiece count is a close, usually generous, stand-in (every CJK character is
one token)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np

from src.embedding import normalize_rows
from src.errors import EmbeddingError, EmbeddingTimeoutError
from src.models import Matrix

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_S = 0.5
MAX_RETRY_AFTER_S = 10.0
PROBE_TEXT = "dimension probe"
log = logging.getLogger("rag.embedding")
Spans = Callable[[str], list[tuple[int, int]]]


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("retry-after", "")
    wait = float(header) if header.replace(".", "", 1).isdigit() else BACKOFF_S * 2**attempt
    return min(wait, MAX_RETRY_AFTER_S)


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
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        )
        embedder = cls(client, model, **options)
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

    # -- one request, with its retries --------------------------------------------------

    def _request(self, texts: list[str]) -> Matrix:
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._client.post(
                    "/embeddings", json={"model": self._model, "input": texts}
                )
            except httpx.TimeoutException as exc:
                if last:
                    raise EmbeddingTimeoutError(
                        "the embedding endpoint did not answer in time",
                        hint="raise RAG_EMBEDDING_TIMEOUT_S, or check the endpoint's load",
                    ) from exc
                self._wait(BACKOFF_S * 2**attempt, f"timeout: {exc}")
                continue
            except httpx.HTTPError as exc:
                if last:
                    raise EmbeddingError(
                        f"the embedding endpoint could not be reached: {exc}",
                        hint="check RAG_EMBEDDING_BASE_URL and that the endpoint is up",
                    ) from exc
                self._wait(BACKOFF_S * 2**attempt, f"{type(exc).__name__}: {exc}")
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self._wait(_retry_after(response, attempt), f"HTTP {response.status_code}")
                continue
            return self._vectors(response, len(texts))
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _wait(seconds: float, reason: str) -> None:
        log.warning("embedding request failed (%s); retrying in %.1f s", reason, seconds)
        time.sleep(seconds)

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
