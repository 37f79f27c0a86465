"""The rerank stage: the first stage's top candidates re-ordered by a served reranker (a
cross-encoder reads the query and each passage together, which a bi-encoder's vectors and
BM25 cannot), through the `/rerank` API that Cohere, Jina and vLLM serve
(`{model, query, documents, top_n}` -> `{results: [{index, relevance_score}]}`) or the one of
Hugging Face Text Embeddings Inference (`{query, texts}` -> `[{index, score}]`).

A reranker that fails, times out or answers nonsense never fails the request: the first-stage
order is returned, marked `reranked: False`, counted and logged."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Literal

import httpx

from src.errors import RerankError, RerankTimeoutError
from src.models import Hit, Ranking
from src.telemetry import RERANK_FAILURES
from src.upstream import Upstream, client, post

RerankApi = Literal["cohere", "tei"]
ENDPOINT = Upstream(
    "the reranker",
    RerankError,
    RerankTimeoutError,
    unreachable_hint="check RAG_RERANK_BASE_URL and that the reranker is up",
    timeout_hint="raise RAG_RERANK_TIMEOUT_S, or check the reranker's load",
)
log = logging.getLogger("rag.rerank")


class Reranker:
    """A served reranker's relevance scores for passages, asked for in batches."""

    def __init__(
        self, http: httpx.Client, model: str, api: RerankApi, batch_size: int, retries: int
    ) -> None:
        self._http = http
        self._model = model
        self._api = api
        self._batch_size = batch_size
        self._retries = retries

    @classmethod
    def connect(
        cls, base_url: str, api_key: str, timeout_s: float, model: str, **options: Any
    ) -> Reranker:
        return cls(client(base_url, api_key, timeout_s), model, **options)

    def close(self) -> None:
        self._http.close()

    def scores(self, query: str, passages: list[str]) -> list[float]:
        """One score per passage, in their order; higher is more relevant."""
        out: list[float] = []
        for start in range(0, len(passages), self._batch_size):
            out += self._batch(query, passages[start : start + self._batch_size])
        return out

    def _batch(self, query: str, passages: list[str]) -> list[float]:
        if self._api == "tei":
            body: dict[str, Any] = {"query": query, "texts": passages, "truncate": True}
        else:
            body = {"model": self._model, "query": query, "documents": passages}
            body["top_n"] = len(passages)
        response = post(self._http, "/rerank", body, self._retries, ENDPOINT)
        if response.status_code != 200:
            raise RerankError(
                f"the reranker answered HTTP {response.status_code}: {response.text[:300]}",
                hint="check RAG_RERANK_MODEL, RAG_RERANK_API and RAG_RERANK_API_KEY",
            )
        return _scores(response, len(passages))


def _scores(response: httpx.Response, expected: int) -> list[float]:
    """Scores by index from either API's answer; every passage scored exactly once."""
    try:
        answer = response.json()
        items = answer["results"] if isinstance(answer, dict) else answer
        scored = {
            int(item["index"]): float(item.get("relevance_score", item.get("score")))
            for item in items
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise RerankError("the reranker's answer was not a list of scored indices") from exc
    if sorted(scored) != list(range(expected)):
        raise RerankError(
            f"the reranker scored indices {sorted(scored)[:10]} of {expected} passages"
        )
    return [scored[i] for i in range(expected)]


class RerankStage:
    """Whether and how a request's hits are reranked: `candidates` first-stage hits go in,
    the best `top_k` by the reranker come out."""

    def __init__(self, reranker: Reranker | None, candidates: int) -> None:
        self._reranker = reranker
        self._candidates = candidates

    def pool(self, top_k: int, wanted: bool) -> int:
        """How many first-stage hits to fetch for a result of `top_k`."""
        return max(top_k, self._candidates) if wanted and self._reranker else top_k

    def apply(self, query: str, hits: list[Hit], top_k: int, wanted: bool) -> Ranking:
        if not (wanted and self._reranker and hits):
            return Ranking(hits[:top_k])
        try:
            scores = self._reranker.scores(query, [hit.text for hit in hits])
        except RerankError as exc:
            kind = "timeout" if isinstance(exc, RerankTimeoutError) else "error"
            RERANK_FAILURES.labels(kind).inc()
            log.warning("reranking failed, answering in first-stage order: %s", exc.message)
            return Ranking(hits[:top_k])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])[:top_k]
        return Ranking([dataclasses.replace(hits[i], score=scores[i]) for i in order], True)

    def close(self) -> None:
        if self._reranker:
            self._reranker.close()
