"""POST /v1/query: answers with numbered citations, from the LLM or extractively."""

from __future__ import annotations

import re
import uuid

import httpx
from conftest import FakeLLM, Service
from helpers import ingest_text, sse_events

FACT = "The Mariana Trench is the deepest oceanic trench, about 11,000 metres deep."


def _seed(http: httpx.Client) -> str:
    return ingest_text(http, f"{FACT} Survey {uuid.uuid4().hex}. Coral reefs are shallow.")["id"]


def test_query_without_llm_returns_extractive_answer_with_citations(client: httpx.Client) -> None:
    document_id = _seed(client)
    response = client.post("/v1/query", json={"question": "How deep is the Mariana Trench?"})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "extractive"
    assert "11,000 metres" in body["answer"]
    cited = body["cited"][0]
    assert f"[{cited}]" in body["answer"]
    assert body["citations"][cited - 1]["number"] == cited
    assert body["citations"][cited - 1]["document_id"] == document_id


def test_query_search_mode_chooses_the_retrieval(client: httpx.Client) -> None:
    word = f"quokkaville{uuid.uuid4().hex[:8]}"
    named = ingest_text(client, f"The town of {word} has a famous harbour.")["id"]
    other = ingest_text(client, f"Fishing boats moor in a sheltered bay {uuid.uuid4().hex}.")["id"]
    cited: dict[str, set[str]] = {}
    for mode in ("keyword", "dense"):
        filters = {"document_ids": [named, other]}
        body = {"question": word, "search_mode": mode, "filters": filters}
        response = client.post("/v1/query", json=body)
        assert response.status_code == 200, response.text
        cited[mode] = {c["document_id"] for c in response.json()["citations"]}
    # Only the keyword index requires the word itself; the dense one ranks every chunk.
    assert cited == {"keyword": {named}, "dense": {named, other}}


def test_query_with_llm_sends_passages_and_returns_its_answer(
    llm_service: Service, llm: FakeLLM
) -> None:
    with llm_service.client() as http:
        document_id = _seed(http)
        body = http.post("/v1/query", json={"question": "How deep is the trench?"}).json()
    assert body["mode"] == "llm" and body["model"] == "fake-model"
    assert body["answer"].endswith("is in [1].") and body["cited"] == [1]
    assert body["citations"][0]["document_id"] == document_id
    sent = llm.last()["last"]
    assert sent["model"] == "fake-model"
    assert "[1] (" in sent["messages"][0]["content"] and FACT in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "How deep is the trench?"}


def test_query_stream_sends_citations_deltas_and_done(llm_service: Service, llm: FakeLLM) -> None:
    with llm_service.client() as http:
        _seed(http)
        response = http.post("/v1/query", json={"question": "How deep?", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert names.count("delta") > 3
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == events[-1][1]["answer"] and events[-1][1]["cited"] == [1]
    assert events[0][1]["citations"][0]["number"] == 1


def test_query_stream_without_llm_streams_extractive_answer(client: httpx.Client) -> None:
    _seed(client)
    events = sse_events(
        client.post("/v1/query", json={"question": "Mariana Trench depth", "stream": True}).text
    )
    assert events[0][1]["mode"] == "extractive"
    assert "11,000 metres" in events[-1][1]["answer"]


def test_query_llm_error_returns_502_with_message(llm_service: Service, llm: FakeLLM) -> None:
    llm.set("error")
    with llm_service.client() as http:
        _seed(http)
        for stream in (False, True):
            response = http.post("/v1/query", json={"question": "depth?", "stream": stream})
            assert response.status_code == 502
            assert "HTTP 500" in response.json()["error"]["message"]


def test_query_llm_bad_response_returns_502(llm_service: Service, llm: FakeLLM) -> None:
    llm.set("garbage")
    with llm_service.client() as http:
        _seed(http)
        response = http.post("/v1/query", json={"question": "depth?"})
    assert response.status_code == 502
    assert "not an OpenAI chat completion" in response.json()["error"]["message"]


def test_query_llm_timeout_returns_504(llm_service: Service, llm: FakeLLM) -> None:
    llm.set("slow", delay=30)  # the service's LLM_TIMEOUT_S is 2
    with llm_service.client() as http:
        _seed(http)
        response = http.post("/v1/query", json={"question": "depth?"})
    assert response.status_code == 504
    assert "did not answer in time" in response.json()["error"]["message"]


def test_query_unreachable_llm_returns_502(services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import free_port

    service = services(LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1", LLM_MODEL="m")
    with service.client() as http:
        _seed(http)
        response = http.post("/v1/query", json={"question": "depth?"})
    assert response.status_code == 502
    assert "could not be reached" in response.json()["error"]["message"]


# Astral-plane characters (𠮷 is 4 bytes in UTF-8, 2 UTF-16 units) before the answer: the
# citation's offsets must still count characters.
REFERENCE_ZH = (
    "𠮷野家的Docker镜像优化笔记。代码修改后需要重新构建镜像！构建时间：1-2分钟。"
    "磁盘空间：更新10次后占用15-20 GB；深度清理可以释放空间。"
)


def test_query_chinese_question_cites_whole_chinese_sentences(client: httpx.Client) -> None:
    text = f"{REFERENCE_ZH}编号{uuid.uuid4().hex}。"
    document_id = ingest_text(client, text, title="参考")["id"]
    body = client.post("/v1/query", json={"question": "代码修改后构建需要多长时间？"}).json()
    assert body["mode"] == "extractive"
    quoted = re.findall(r"(?:^|\] )([^\[]+?) \[\d+\]", body["answer"].split("say: ", 1)[1])
    # The sentence that shares the question's words, cut at the Chinese full stops and
    # exclamation marks around it; never the whole passage.
    assert quoted[0] == "代码修改后需要重新构建镜像！"
    assert "磁盘空间" not in body["answer"]
    cited = [body["citations"][n - 1] for n in body["cited"]]
    assert any(c["document_id"] == document_id for c in cited)
    for citation in cited:
        if citation["document_id"] == document_id:
            assert text[citation["start"] : citation["end"]] == citation["text"]
