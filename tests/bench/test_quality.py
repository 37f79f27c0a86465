"""The retrieval and answer quality benchmarks: their scoring, and fixed subsets whose figures
may not fall more than FLOOR_MARGIN below the ones committed in bench/results/quality.json
(measured by `bench quality` on the same subsets), so a change that loses quality fails CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report
from bench.answers import answers_of, first_sentence, holds, most_question_words
from bench.quality import ANSWER_SUBSET, SUBSET, load, quality_of
from bench.scoring import ndcg_at_10, recall_at_100
from src.extractive import EXTRACTIVE_PREFIX
from src.text.segmentation import Segmenter

FLOOR_MARGIN = 0.01
COMMITTED = report.RESULTS / "quality.json"


def _committed(scenario: str, variant: str, metric: str) -> float:
    for record in report.read(COMMITTED):
        if (record.scenario, record.variant, record.metric) == (scenario, variant, metric):
            return record.value
    raise AssertionError(f"no committed {scenario} {variant} {metric} in {COMMITTED}")


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


def test_answer_scoring_folds_case_width_and_space() -> None:
    assert holds("Built in 1871 ＢＹ  Orrery", ["by orrery"])
    assert not holds("Built in 1871", ["1872"])
    answer = EXTRACTIVE_PREFIX + "It was 1871. [2] Then more. [1]"
    assert first_sentence(answer) == "It was 1871. [2]"
    passages = ["Goats graze. The lighthouse was built in 1871.", "Nothing here."]
    chosen = most_question_words("when was the lighthouse built", passages, Segmenter())
    assert chosen == "The lighthouse was built in 1871."


# These ingest a few hundred documents and query them through the API: minutes on 2 cores,
# past pytest's default 300 s on a busy machine. Quality is what they check.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", ["nfcorpus", "arguana", "xquad-zh"])
def test_quality_subset_holds_its_committed_figures(model_dir: Path, name: str) -> None:
    measured = {(r.variant, r.metric): r.value for r in quality_of(load(name, SUBSET), True)}
    for mode in ("hybrid", "dense", "keyword"):
        floor = _committed(f"quality_{name}_subset", mode, "ndcg_at_10") - FLOOR_MARGIN
        assert measured[(mode, "ndcg_at_10")] >= floor, (name, mode, measured)
    exact_gap = measured[("dense_exact", "ndcg_at_10")] - measured[("dense", "ndcg_at_10")]
    assert abs(exact_gap) <= 0.005


@pytest.mark.timeout(900)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_answers_subset_holds_its_committed_figures(model_dir: Path, language: str) -> None:
    measured = {(r.variant, r.metric): r.value for r in answers_of(language, ANSWER_SUBSET)}
    scenario = f"answers_{language}_subset"
    for variant in ("first sentence", "answer"):
        floor = _committed(scenario, variant, "holds_answer") - FLOOR_MARGIN
        assert measured[(variant, "holds_answer")] >= floor, (language, variant, measured)
