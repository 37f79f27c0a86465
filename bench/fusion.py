"""Tuning hybrid fusion on one set's queries: the dense and keyword rankings of each query are
fetched once through the API, then fused here with the service's own function
(src.retrieval.reciprocal_rank_fusion) for every RRF constant and dense weight in a grid, and
scored like bench/quality.py scores the service (bench/scoring.py). The service's constants are
the best on the set they were tuned on; the other sets are reported with them, untuned."""

from __future__ import annotations

import itertools

import httpx

from bench.report import Record
from bench.scoring import TOP_CHUNKS, BeirSet, ndcg_at_10, ranked, retrieve
from src.retrieval import reciprocal_rank_fusion

CONSTANTS = (5, 10, 20, 40, 60, 100)
DENSE_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
Hits = list[tuple[int, str]]  # (chunk id, service document id) best first


def collect(url: str, beir: BeirSet) -> dict[str, tuple[Hits, Hits]]:
    with httpx.Client(base_url=url, timeout=60) as http:
        return {
            query_id: (retrieve(http, text, "dense"), retrieve(http, text, "keyword"))
            for query_id, text in beir.queries.items()
        }


def _fused_ndcg(
    collected: dict[str, tuple[Hits, Hits]],
    beir: BeirSet,
    stored: dict[str, list[str]],
    k: int,
    weight: float,
) -> float:
    total = 0.0
    for query_id, (dense, keyword) in collected.items():
        documents = dict(dense + keyword)
        rankings = [[(c, 0.0) for c, _ in dense], [(c, 0.0) for c, _ in keyword]]
        fused = reciprocal_rank_fusion(rankings, k, [weight, 1.0 - weight])[:TOP_CHUNKS]
        ranking = ranked([documents[chunk_id] for chunk_id, _ in fused], stored, query_id)
        total += ndcg_at_10(ranking, beir.qrels[query_id])
    return total / len(collected)


def grid(url: str, beir: BeirSet, stored: dict[str, list[str]]) -> list[Record]:
    """nDCG@10 of hybrid search for every (RRF constant, dense weight) in the grid."""
    collected = collect(url, beir)
    return [
        Record(
            f"fusion_{beir.name}",
            f"k={k} dense={weight}",
            "ndcg_at_10",
            round(_fused_ndcg(collected, beir, stored, k, weight), 4),
            "",
        )
        for k, weight in itertools.product(CONSTANTS, DENSE_WEIGHTS)
    ]
