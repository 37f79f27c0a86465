"""The retrieval quality benchmark: its scoring, and fixed NFCorpus and XQuAD zh subsets whose
figures must stay above a floor (NFCorpus, measured 2026-11: hybrid 0.331, dense 0.344,
keyword 0.316)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.quality import load, quality_of
from bench.scoring import ndcg_at_10, recall_at_100

FLOORS = {"hybrid": 0.30, "dense": 0.30, "keyword": 0.28}


def test_ndcg_at_10_uses_graded_gains_and_ideal_order() -> None:
    grades = {"a": 2, "b": 1}
    assert ndcg_at_10(["a", "b", "x"], grades) == pytest.approx(1.0)
    swapped = (1 + 2 / 1.5849625) / (2 + 1 / 1.5849625)
    assert ndcg_at_10(["b", "a"], grades) == pytest.approx(swapped)
    assert ndcg_at_10(["x"] * 10 + ["a"], grades) == 0.0


def test_recall_at_100_counts_relevant_documents_found() -> None:
    assert recall_at_100(["a", "x", "y"], {"a": 1, "b": 2}) == 0.5
    assert recall_at_100(["x"] * 100 + ["a"], {"a": 1}) == 0.0


def test_load_subset_keeps_relevant_documents_of_its_queries() -> None:
    beir = load("nfcorpus", 5)
    assert len(beir.queries) == 5
    relevant = {d for grades in beir.qrels.values() for d in grades}
    assert relevant <= set(beir.corpus)
    assert len(beir.corpus) <= 3 * len(relevant)


# These ingest a few hundred documents and query them through the API: about 5 minutes on
# 2 cores, so past pytest's default 300 s on a busy machine. Quality is what they check.
@pytest.mark.timeout(900)
def test_quality_subset_meets_its_floor(model_dir: Path) -> None:
    scores = {(r.variant, r.metric): r.value for r in quality_of(load("nfcorpus", 20), True)}
    for mode, floor in FLOORS.items():
        assert scores[(mode, "ndcg_at_10")] >= floor, (mode, scores)
    assert abs(scores[("dense", "ndcg_at_10")] - scores[("dense_exact", "ndcg_at_10")]) <= 0.005


@pytest.mark.timeout(900)
def test_quality_chinese_subset_meets_its_floor(model_dir: Path) -> None:
    # Measured 2026-11 on the whole set: keyword 0.965, hybrid the same (the bundled English
    # model's dense ranking is not fused into Chinese queries), dense 0.262.
    scores = {(r.variant, r.metric): r.value for r in quality_of(load("xquad-zh", 20), True)}
    assert scores[("keyword", "ndcg_at_10")] >= 0.9, scores
    assert scores[("hybrid", "ndcg_at_10")] >= 0.9, scores
