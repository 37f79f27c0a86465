"""What bench/quality.py and bench/fusion.py share: a BEIR set, the service's top chunks for a
query, and the scoring of a ranking (documents ranked where their best chunk is; see
bench/quality.py for the rules)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx

TOP_CHUNKS = 100


@dataclass(frozen=True)
class BeirSet:
    name: str
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {document id: grade > 0}


def retrieve(http: httpx.Client, query: str, mode: str) -> list[tuple[int, str]]:
    """The top chunks for `query`, best first, as (chunk id, service document id)."""
    body = {"query": query, "top_k": TOP_CHUNKS, "mode": mode}
    response = http.post("/v1/retrieve", json=body)
    response.raise_for_status()
    return [(hit["chunk_id"], hit["document_id"]) for hit in response.json()["results"]]


def ranked(document_ids: list[str], stored: dict[str, list[str]], query_id: str) -> list[str]:
    """BEIR ids in the order of their best chunk (given as its document's id, chunk by
    chunk), without the query's own id (ArguAna's rule)."""
    order: dict[str, None] = {}
    for document_id in document_ids:
        for beir_id in stored.get(document_id, []):
            if beir_id != query_id:
                order.setdefault(beir_id)
    return list(order)


def ndcg_at_10(ranking: list[str], grades: dict[str, int]) -> float:
    dcg = sum(grades.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall_at_100(ranking: list[str], grades: dict[str, int]) -> float:
    return len(set(ranking[:100]) & set(grades)) / len(grades) if grades else 0.0
