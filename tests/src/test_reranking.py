"""The rerank stage against a real HTTP server of both rerank APIs: scores in order, batches,
retries, and every way the reranker can fail answered with the first-stage order."""

from __future__ import annotations

import pytest
from conftest import FakeEmbeddings

from src.errors import RerankError, RerankTimeoutError
from src.models import Hit
from src.reranking import Reranker, RerankStage
from src.telemetry import RERANK_FAILURES

PASSAGES = [
    "A harbour crane.",
    "Lighthouses guide ships past the rocks at night.",
    "The Varnholm lighthouse was built in 1871.",
]
QUESTION = "when was the varnholm lighthouse built"


def _reranker(
    url: str, api: str = "cohere", batch_size: int = 32, timeout_s: float = 2.0, retries: int = 1
) -> Reranker:
    base = f"{url}/v1" if api == "cohere" else url
    return Reranker.connect(
        base, "sk-rerank", timeout_s, "fake-rerank", api=api, batch_size=batch_size, retries=retries
    )


def _hits(texts: list[str]) -> list[Hit]:
    return [
        Hit(i, f"d{i}", "t", 0, text, 0, len(text), 1.0 - i / 10) for i, text in enumerate(texts)
    ]


def _failures(kind: str) -> float:
    return RERANK_FAILURES.labels(kind)._value.get()


@pytest.mark.parametrize("api", ["cohere", "tei"])
def test_scores_come_back_in_passage_order(fake_embeddings: FakeEmbeddings, api: str) -> None:
    scores = _reranker(fake_embeddings.url, api).scores(QUESTION, PASSAGES)
    assert scores == pytest.approx([0.0, 1 / 6, 5 / 6])


def test_scores_sends_the_cohere_body(fake_embeddings: FakeEmbeddings) -> None:
    _reranker(fake_embeddings.url).scores(QUESTION, PASSAGES)
    body = fake_embeddings.last()
    assert body == {"model": "fake-rerank", "query": QUESTION, "documents": PASSAGES, "top_n": 3}


def test_scores_sends_batches(fake_embeddings: FakeEmbeddings) -> None:
    before = fake_embeddings.calls()
    scores = _reranker(fake_embeddings.url, batch_size=2).scores(QUESTION, PASSAGES)
    assert fake_embeddings.calls() - before == 2
    assert scores == pytest.approx([0.0, 1 / 6, 5 / 6])


def test_scores_retries_a_rate_limit(fake_embeddings: FakeEmbeddings) -> None:
    fake_embeddings.set("flaky", failures=1)
    assert len(_reranker(fake_embeddings.url).scores(QUESTION, PASSAGES)) == 3


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_scores_bad_answer_is_a_rerank_error(fake_embeddings: FakeEmbeddings, mode: str) -> None:
    fake_embeddings.set(mode)
    with pytest.raises(RerankError):
        _reranker(fake_embeddings.url, retries=0).scores(QUESTION, PASSAGES)


def test_scores_slow_reranker_times_out(fake_embeddings: FakeEmbeddings) -> None:
    fake_embeddings.set("slow", delay=2)
    with pytest.raises(RerankTimeoutError):
        _reranker(fake_embeddings.url, timeout_s=0.3, retries=0).scores(QUESTION, PASSAGES)


def test_apply_orders_hits_by_the_reranker(fake_embeddings: FakeEmbeddings) -> None:
    stage = RerankStage(_reranker(fake_embeddings.url), candidates=10)
    ranking = stage.apply(QUESTION, _hits(PASSAGES), 2, wanted=True)
    assert ranking.reranked
    assert [hit.chunk_id for hit in ranking.hits] == [2, 1]
    assert ranking.hits[0].score == pytest.approx(5 / 6)


def test_apply_failing_reranker_keeps_first_stage_order(fake_embeddings: FakeEmbeddings) -> None:
    fake_embeddings.set("slow", delay=2)
    stage = RerankStage(_reranker(fake_embeddings.url, timeout_s=0.3, retries=0), 10)
    before = _failures("timeout")
    ranking = stage.apply(QUESTION, _hits(PASSAGES), 2, wanted=True)
    assert not ranking.reranked
    assert [hit.chunk_id for hit in ranking.hits] == [0, 1]
    assert _failures("timeout") == before + 1


def test_apply_not_wanted_sends_nothing(fake_embeddings: FakeEmbeddings) -> None:
    stage = RerankStage(_reranker(fake_embeddings.url), candidates=10)
    before = fake_embeddings.calls()
    ranking = stage.apply(QUESTION, _hits(PASSAGES), 2, wanted=False)
    assert fake_embeddings.calls() == before
    assert [hit.chunk_id for hit in ranking.hits] == [0, 1] and not ranking.reranked
    assert stage.pool(2, wanted=False) == 2


def test_pool_is_the_candidates_only_with_a_reranker(fake_embeddings: FakeEmbeddings) -> None:
    assert RerankStage(_reranker(fake_embeddings.url), candidates=30).pool(5, True) == 30
    assert RerankStage(_reranker(fake_embeddings.url), candidates=30).pool(50, True) == 50
    assert RerankStage(None, candidates=30).pool(5, True) == 5
