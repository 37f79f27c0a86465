"""POST /v1/chat/completions, driven by the official `openai` client."""

from __future__ import annotations

import uuid

import openai
import pytest
from conftest import FakeLLM, Service
from helpers import ingest_text

FACT = "Kiwi birds cannot fly and lay eggs one fifth of their body weight."


def _client(service: Service, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key=api_key, max_retries=0)


def _seed(service: Service) -> str:
    with service.client() as http:
        return ingest_text(http, f"{FACT} Field note {uuid.uuid4().hex}.")["id"]


def test_chat_completion_with_llm_answers_from_retrieval(
    llm_service: Service, llm: FakeLLM
) -> None:
    _seed(llm_service)
    completion = _client(llm_service).chat.completions.create(
        model="anything",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! Ask me about birds."},
            {"role": "user", "content": "Can kiwi birds fly?"},
        ],
    )
    assert completion.object == "chat.completion"
    assert completion.model == "fake-model"
    assert completion.choices[0].message.content.endswith("is in [1].")  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]  # type: ignore[index]
    assert FACT in citations[0]["text"]
    sent = llm.last()["last"]["messages"]
    assert FACT in sent[0]["content"]
    assert [m["role"] for m in sent[1:]] == ["user", "assistant", "user"]


def test_chat_completion_stream_with_llm(llm_service: Service, llm: FakeLLM) -> None:
    _seed(llm_service)
    stream = _client(llm_service).chat.completions.create(
        model="x", stream=True, messages=[{"role": "user", "content": "Can kiwi birds fly?"}]
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.endswith("is in [1].")
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_completion_without_llm_is_extractive(service: Service) -> None:
    _seed(service)
    client = _client(service)
    completion = client.chat.completions.create(
        model="x", messages=[{"role": "user", "content": "Can kiwi birds fly?"}]
    )
    assert completion.model == "rag-api-extractive"
    assert "cannot fly" in (completion.choices[0].message.content or "")
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="x", stream=True, messages=[{"role": "user", "content": "Can kiwi birds fly?"}]
        )
        if c.choices
    )
    assert "cannot fly" in streamed


def test_chat_completion_llm_error_raises_api_error(llm_service: Service, llm: FakeLLM) -> None:
    llm.set("error")
    with pytest.raises(openai.APIStatusError) as caught:
        _client(llm_service).chat.completions.create(
            model="x", messages=[{"role": "user", "content": "kiwi?"}]
        )
    assert caught.value.status_code == 502
    assert "HTTP 500" in str(caught.value)


def test_chat_completion_without_user_message_is_rejected(service: Service) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        _client(service).chat.completions.create(
            model="x", messages=[{"role": "system", "content": "no question here"}]
        )
    assert "no user message" in str(caught.value)


def test_models_lists_every_collection_and_all_of_them(service: Service) -> None:
    models = [m.id for m in _client(service).models.list().data]
    assert models[0] == "rag-api"
    assert "rag-api/default" in models
