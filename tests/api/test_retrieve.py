"""POST /v1/retrieve: hybrid, dense and keyword ranking, filters, readers during ingestion."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from helpers import ingest_text, wait_until

CORPUS = {
    "volcano": "Volcanoes erupt when magma rises through the crust and escapes as lava and ash.",
    "bread": "Sourdough bread rises slowly because wild yeast ferments the dough overnight.",
    "orbit": "Satellites stay in orbit because their sideways speed balances the pull of gravity.",
}
# The background job below embeds ~80 chunks, seconds of work: this only keeps a stuck job
# from hanging the suite until pytest's own timeout.
INGEST_DEADLINE_S = 120


@pytest.fixture(scope="module")
def corpus(service) -> dict[str, str]:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex
    with service.client() as http:
        return {
            name: ingest_text(http, f"{text} ({tag})", name, topic=name, tag=tag)["id"]
            for name, text in CORPUS.items()
        }


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_retrieve_ranks_the_matching_document_first(
    client: httpx.Client, corpus: dict[str, str], mode: str
) -> None:
    response = client.post(
        "/v1/retrieve",
        json={
            "query": "why does lava come out of volcanoes",
            "top_k": 3,
            "mode": mode,
            "filters": {"document_ids": list(corpus.values())},
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["document_id"] == corpus["volcano"]
    assert results[0]["title"] == "volcano" and results[0]["position"] == 0
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_retrieve_dense_finds_paraphrase_without_shared_words(
    client: httpx.Client, corpus: dict[str, str]
) -> None:
    results = client.post(
        "/v1/retrieve",
        json={
            "query": "spacecraft circling the planet",
            "top_k": 1,
            "mode": "dense",
            "filters": {"document_ids": list(corpus.values())},
        },
    ).json()["results"]
    keyword = client.post(
        "/v1/retrieve",
        json={
            "query": "spacecraft circling the planet",
            "top_k": 1,
            "mode": "keyword",
            "filters": {"document_ids": list(corpus.values())},
        },
    ).json()["results"]
    assert results[0]["document_id"] == corpus["orbit"]
    assert keyword == [] or keyword[0]["document_id"] != corpus["orbit"]


def test_retrieve_metadata_filter_limits_results(
    client: httpx.Client, corpus: dict[str, str]
) -> None:
    results = client.post(
        "/v1/retrieve",
        json={"query": "rises", "top_k": 10, "filters": {"metadata": {"topic": "bread"}}},
    ).json()["results"]
    assert {r["document_id"] for r in results} == {corpus["bread"]}


def test_retrieve_keyword_query_with_fts_syntax_is_safe(client: httpx.Client) -> None:
    for query in ['"unbalanced', "NEAR(a b", "a AND OR NOT", "*", "col:value", "(((", "-"]:
        response = client.post("/v1/retrieve", json={"query": query, "mode": "keyword"})
        assert response.status_code == 200, (query, response.text)


def test_retrieve_keeps_answering_during_background_ingestion(
    client: httpx.Client, corpus: dict[str, str]
) -> None:
    big = "\n\n".join(
        f"Ledger entry {n} {uuid.uuid4().hex}. " + "Inventory was counted. " * 45 for n in range(80)
    )
    job_url = client.post(
        "/v1/documents", json={"text": big}, params={"background": "true"}
    ).json()["status_url"]
    answered, deadline = 0, time.monotonic() + INGEST_DEADLINE_S
    while client.get(job_url).json()["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            pytest.fail(f"the ingestion job was not done after {INGEST_DEADLINE_S} s")
        response = client.post(
            "/v1/retrieve", json={"query": "volcano lava", "top_k": 1, "mode": "dense"}
        )
        assert response.status_code == 200
        answered += 1
    assert answered > 0
    wait_until(lambda: client.get(job_url).json()["status"] == "succeeded", 5, "job success")


def test_retrieve_keyword_finds_chinese_words_inside_a_sentence(client: httpx.Client) -> None:
    text = f"定期执行深度清理可以释放磁盘空间，构建时间：1-2分钟。{uuid.uuid4().hex}"
    document_id = ingest_text(client, text, title="参考")["id"]
    within = {"document_ids": [document_id]}
    for query in ("磁盘空间", "深度清理"):
        body = {"query": query, "mode": "keyword", "top_k": 3, "filters": within}
        results = client.post("/v1/retrieve", json=body).json()["results"]
        assert [r["document_id"] for r in results] == [document_id], query
