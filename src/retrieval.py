"""Ranked chunks for a query: keyword (BM25), dense (cosine), or both fused: a convex
combination of their scores scaled to [0, 1] (bench/fusion.py chose it over reciprocal rank
fusion: tuned on ArguAna, about as good as RRF on the English sets and far better where the
dense model cannot read the language, XQuAD zh with the English model 0.96 against 0.77)."""

from __future__ import annotations

from src.embedding import Embedder, reads
from src.models import Filters, Hit, Matrix, SearchMode
from src.store import Search

RRF_K = 60  # the constant from Cormack et al.; damps the weight of the very top ranks
DENSE_WEIGHT = 0.3  # the dense ranking's share of the fused score; keyword gets the rest
# Chunks each ranking brings to the fusion (min-max scaling reads the whole pool).
FUSION_POOL = 100
# Searches run again when chunks they found were deleted before they were read.
HYDRATE_RETRIES = 3


def convex_fusion(
    rankings: list[list[tuple[int, float]]],
    weights: list[float],
    floors: list[float | None],
) -> list[tuple[int, float]]:
    """The weighted sum of each ranking's scores scaled to [0, 1] (Bruch et al., "An Analysis
    of Fusion Functions for Hybrid Retrieval"): a ranking's best score is 1 and its `floor` 0,
    the floor being the score's least possible value (theoretical min-max) or, where None,
    the ranking's own last score (min-max). A chunk missing from a ranking gets 0 there."""
    fused: dict[int, float] = {}
    for ranking, weight, floor in zip(rankings, weights, floors, strict=True):
        if not ranking:
            continue
        low = ranking[-1][1] if floor is None else floor
        span = ranking[0][1] - low
        for chunk_id, score in ranking:
            # All alike (one hit, or ties throughout): each is the ranking's best.
            scaled = (score - low) / span if span > 0 else 1.0
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * scaled
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


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
        """`vector`: the query's embedding, when the caller has it already. A search whose
        chunks were deleted before they were read (a delete, or a new version of their
        source, committed in between) is run again, deeper: a write in flight never leaves
        a query with fewer hits than the store holds."""
        filters = filters or Filters()
        if not self._dense_ranks(query, mode):
            vector = None
        elif vector is None:
            vector = self._embedder.embed([query], query=True)[0]
        with self._store.consistent():
            extra = 0
            for attempt in range(HYDRATE_RETRIES + 1):
                scored = self._scored(query, top_k + extra, mode, filters, vector)
                hits = self._store.hydrate(scored)
                dropped = len(scored) - len(hits)
                if not dropped or attempt == HYDRATE_RETRIES:
                    return hits[:top_k]
                extra += 2 * dropped
        raise AssertionError("unreachable")

    def _dense_ranks(self, query: str, mode: SearchMode) -> bool:
        """Whether a dense ranking takes part."""
        if mode is SearchMode.KEYWORD:
            return False
        # Fusing a ranking from a model that cannot read the query only pulls good keyword
        # hits down (XQuAD zh with the bundled English model: hybrid 0.665 against keyword
        # 0.965), so hybrid search is keyword search there.
        return mode is SearchMode.DENSE or reads(self._embedder, query)

    def _scored(
        self, query: str, top_k: int, mode: SearchMode, filters: Filters, vector: Matrix | None
    ) -> list[tuple[int, float]]:
        if vector is None:  # no dense ranking: keyword search alone
            return self._store.keyword_search(query, top_k, filters)
        if mode is SearchMode.DENSE:
            return self._store.dense_search(vector, top_k, filters)
        pool = max(top_k, FUSION_POOL)
        rankings = [
            self._store.dense_search(vector, pool, filters),
            self._store.keyword_search(query, pool, filters),
        ]
        weights = [DENSE_WEIGHT, 1.0 - DENSE_WEIGHT]
        return convex_fusion(rankings, weights, [None, None])[:top_k]
