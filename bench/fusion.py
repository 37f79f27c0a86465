"""Tuning hybrid fusion on one set's queries: the dense and keyword rankings of each query
(chunks with their scores) are fetched once through the API, then fused here with the
service's own functions (src.retrieval) for every cell of a grid, and scored like
bench/quality.py scores the service (bench/scoring.py):
- reciprocal rank fusion, by RRF constant and dense weight;
- convex combination of scores scaled to [0, 1] (min-max, or theoretical min-max: cosine's
  floor -1, BM25's 0), by dense weight;
each with the first stage's pool (how many chunks each ranking brings) cut to 20, 40 or 100.
The service's choice is the best on the set it was tuned on; the other sets are reported
with it, untuned."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import httpx

from bench.report import Record
from bench.scoring import TOP_CHUNKS, BeirSet, ndcg_at_10, ranked
from src.retrieval import convex_fusion, reciprocal_rank_fusion

CONSTANTS = (10, 60)
DENSE_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
POOLS = (20, 40, 100)
NORMALISATIONS: dict[str, list[float | None]] = {"minmax": [None, None], "tmm": [-1.0, 0.0]}
Scored = list[tuple[int, float]]
Fuse = Callable[[Scored, Scored], Scored]


def _scored(http: httpx.Client, query: str, mode: str) -> tuple[Scored, dict[int, str]]:
    body = {"query": query, "top_k": TOP_CHUNKS, "mode": mode, "rerank": False}
    response = http.post("/v1/retrieve", json=body)
    response.raise_for_status()
    hits = response.json()["results"]
    return [(h["chunk_id"], h["score"]) for h in hits], {
        h["chunk_id"]: h["document_id"] for h in hits
    }


def collect(url: str, beir: BeirSet) -> dict[str, tuple[Scored, Scored, dict[int, str]]]:
    collected = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        for query_id, text in beir.queries.items():
            dense, dense_docs = _scored(http, text, "dense")
            keyword, keyword_docs = _scored(http, text, "keyword")
            collected[query_id] = (dense, keyword, dense_docs | keyword_docs)
    return collected


def _fused_ndcg(
    collected: dict[str, tuple[Scored, Scored, dict[int, str]]],
    beir: BeirSet,
    stored: dict[str, list[str]],
    pool: int,
    fuse: Fuse,
) -> float:
    total = 0.0
    for query_id, (dense, keyword, documents) in collected.items():
        fused = fuse(dense[:pool], keyword[:pool])[:TOP_CHUNKS]
        ranking = ranked([documents[chunk_id] for chunk_id, _ in fused], stored, query_id)
        total += ndcg_at_10(ranking, beir.qrels[query_id])
    return total / len(collected)


def _rrf(k: int, weight: float, dense: Scored, keyword: Scored) -> Scored:
    return reciprocal_rank_fusion([dense, keyword], k, [weight, 1.0 - weight])


def _convex(floors: list[float | None], weight: float, dense: Scored, keyword: Scored) -> Scored:
    return convex_fusion([dense, keyword], [weight, 1.0 - weight], floors)


def _fusions() -> dict[str, Fuse]:
    fusions: dict[str, Fuse] = {}
    for k, weight in itertools.product(CONSTANTS, DENSE_WEIGHTS):
        fusions[f"rrf k={k} dense={weight}"] = functools.partial(_rrf, k, weight)
    for (name, floors), weight in itertools.product(NORMALISATIONS.items(), DENSE_WEIGHTS):
        fusions[f"convex {name} dense={weight}"] = functools.partial(_convex, floors, weight)
    return fusions


def grid(url: str, beir: BeirSet, stored: dict[str, list[str]]) -> list[Record]:
    """nDCG@10 of hybrid search for every fusion and pool in the grid."""
    collected = collect(url, beir)
    return [
        Record(
            f"fusion_{beir.name}",
            f"{name} pool={pool}",
            "ndcg_at_10",
            round(_fused_ndcg(collected, beir, stored, pool, fuse), 4),
            "",
        )
        for (name, fuse), pool in itertools.product(_fusions().items(), POOLS)
    ]
