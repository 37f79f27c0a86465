"""The rerank stage through the API, against a real HTTP server of the Cohere-style and TEI
rerank APIs: retrieve, query and chat reorder the first stage's candidates; a reranker that
fails or is slow leaves the first-stage order, says so, and is counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import FakeEmbeddings, Service
from fake_embeddings import relevance
from helpers import ingest_text, sse_events

QUESTION = "when was the varnholm lighthouse built"
TEXTS = {
    "guild": "The Varnholm guild built the Varnholm lamps for the Varnholm lighthouse keepers.",
    "history": "The Varnholm lighthouse was built in 1871 by the engineer Tamsin Orrery.",
    "harbour": "Keldmouth harbour has two cranes and a lighthouse at its mouth.",
}


def _settings(url: str, api: str) -> dict[str, str]:
    return {
        "RAG_RERANK_BASE_URL": f"{url}/v1" if api == "cohere" else url,
        "RAG_RERANK_API": api,
        "RAG_RERANK_MODEL": "fake-rerank",
        "RAG_RERANK_TIMEOUT_S": "0.5",
        "RAG_RERANK_RETRIES": "0",
        "RAG_RERANK_CANDIDATES": "10",
    }


@pytest.fixture(scope="module")
def reranked(services: Callable[..., Service], fake_embeddings_server: FakeEmbeddings) -> Service:
    service = services(**_settings(fake_embeddings_server.url, "cohere"))
    with service.client() as http:
        for title, text in TEXTS.items():
            ingest_text(http, text, title)
    return service


@pytest.fixture()
def http(reranked: Service, fake_embeddings: FakeEmbeddings) -> Iterator[httpx.Client]:
    with reranked.client() as client:
        yield client


def _retrieve(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/v1/retrieve", json={"query": QUESTION, "top_k": 3, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _titles(answer: dict[str, Any], key: str = "results") -> list[str]:
    return [hit["title"] for hit in answer[key]]


def test_retrieve_orders_candidates_by_the_reranker(http: httpx.Client) -> None:
    answer = _retrieve(http)
    assert answer["reranked"] is True
    scores = [hit["score"] for hit in answer["results"]]
    assert scores == [pytest.approx(relevance(QUESTION, hit["text"])) for hit in answer["results"]]
    assert scores == sorted(scores, reverse=True)
    assert _titles(answer)[0] == "history"


def test_retrieve_rerank_false_keeps_first_stage_and_calls_nothing(
    http: httpx.Client, fake_embeddings: FakeEmbeddings
) -> None:
    before = fake_embeddings.calls()
    answer = _retrieve(http, rerank=False, mode="keyword")
    assert answer["reranked"] is False
    assert fake_embeddings.calls() == before
    assert _titles(answer)[0] == "guild"  # BM25 likes the rare word said three times


@pytest.mark.parametrize(("mode", "kind"), [("error", "error"), ("slow", "timeout")])
def test_retrieve_failing_reranker_answers_first_stage_order(
    http: httpx.Client, reranked: Service, fake_embeddings: FakeEmbeddings, mode: str, kind: str
) -> None:
    first_stage = _retrieve(http, rerank=False)
    fake_embeddings.set(mode, delay=2)
    answer = _retrieve(http)
    assert answer["reranked"] is False
    assert answer["results"] == first_stage["results"]
    metrics = http.get("/metrics").text
    assert f'rag_rerank_failures_total{{kind="{kind}"}}' in metrics
    assert "reranking failed, answering in first-stage order" in reranked.log()


def test_query_and_chat_cite_the_reranked_passages(http: httpx.Client) -> None:
    query = http.post("/v1/query", json={"question": QUESTION, "top_k": 2}).json()
    assert query["reranked"] is True and _titles(query, "citations")[0] == "history"
    assert "1871" in query["answer"]
    messages = [{"role": "user", "content": QUESTION}]
    chat = http.post("/v1/chat/completions", json={"model": "rag-api", "messages": messages})
    assert chat.json()["reranked"] is True
    assert _titles(chat.json(), "citations")[0] == "history"
    chat = http.post(
        "/v1/chat/completions", json={"model": "rag-api", "messages": messages, "rerank": False}
    )
    assert chat.json()["reranked"] is False


def test_query_stream_says_it_was_reranked(http: httpx.Client) -> None:
    body = {"question": QUESTION, "top_k": 2, "stream": True}
    events = dict(sse_events(http.post("/v1/query", json=body).text))
    assert events["citations"]["reranked"] is True


def test_retrieve_through_the_tei_api(
    services: Callable[..., Service], fake_embeddings: FakeEmbeddings
) -> None:
    service = services(**_settings(fake_embeddings.url, "tei"))
    with service.client() as http:
        for title, text in TEXTS.items():
            ingest_text(http, text, title)
        answer = _retrieve(http)
    assert answer["reranked"] is True and _titles(answer)[0] == "history"
    assert "texts" in fake_embeddings.last()
