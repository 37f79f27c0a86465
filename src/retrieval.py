"""Ranked chunks for a query: keyword (BM25), dense (cosine), or both fused by RRF."""

from __future__ import annotations

from src.embedding import Embedder
from src.models import Filters, Hit, Matrix, SearchMode
from src.store import Search
from src.text.segmentation import cjk_share

RRF_K = 60  # the constant from Cormack et al.; damps the weight of the very top ranks
DENSE_WEIGHT = 0.5  # the dense ranking's share of the fused score; keyword gets the rest
CANDIDATES_PER_RESULT = 4
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})


def reciprocal_rank_fusion(
    rankings: list[list[tuple[int, float]]],
    k: int = RRF_K,
    weights: list[float] | None = None,
) -> list[tuple[int, float]]:
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


class Retriever:
    def __init__(self, store: Search, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    def retrieve(
        self,
        query: str,
        top_k: int,
        mode: SearchMode = SearchMode.HYBRID,
        filters: Filters | None = None,
        vector: Matrix | None = None,
    ) -> list[Hit]:
        """`vector`: the query's embedding, when the caller has it already."""
        filters = filters or Filters()
        if mode is SearchMode.KEYWORD:
            scored = self._store.keyword_search(query, top_k, filters)
        elif mode is SearchMode.DENSE:
            scored = self._dense(query, top_k, filters, vector)
        elif not self._model_reads(query):
            # Fusing a ranking from a model that cannot read the query only pulls good
            # keyword hits down (XQuAD zh with the bundled English model: hybrid 0.665
            # against keyword 0.965), so hybrid search is keyword search here.
            scored = self._store.keyword_search(query, top_k, filters)
        else:
            pool = max(top_k * CANDIDATES_PER_RESULT, 20)
            rankings = [
                self._dense(query, pool, filters, vector),
                self._store.keyword_search(query, pool, filters),
            ]
            weights = [DENSE_WEIGHT, 1.0 - DENSE_WEIGHT]
            scored = reciprocal_rank_fusion(rankings, RRF_K, weights)[:top_k]
        return self._store.hydrate(scored)

    def _model_reads(self, query: str) -> bool:
        """False for a query mostly in CJK script when the model was trained on none of it."""
        languages = set(self._embedder.languages)
        if "*" in languages or languages & CJK_LANGUAGES:
            return True
        return cjk_share(query) <= 0.5

    def _dense(
        self, query: str, k: int, filters: Filters, vector: Matrix | None
    ) -> list[tuple[int, float]]:
        if vector is None:
            vector = self._embedder.embed([query], query=True)[0]
        return self._store.dense_search(vector, k, filters)
