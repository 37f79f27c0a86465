"""The frameworks people point at an OpenAI-compatible service, pointed at this one: LangChain's
ChatOpenAI and OpenAIEmbeddings, LlamaIndex's OpenAILike and OpenAILikeEmbedding. Each answers
one question (through /v1/chat/completions, from the stored documents) and embeds one text
(through /v1/embeddings, as the service's own model does). They are dev dependencies only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from conftest import FakeLLM, Service
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from llama_index.core.llms import ChatMessage
from llama_index.embeddings.openai_like import OpenAILikeEmbedding
from llama_index.llms.openai_like import OpenAILike

KEY = "clients-key-2e9a"
FACT = "The night bus to the airport leaves from platform nine every half hour."
QUESTION = "Where does the night bus to the airport leave from?"


@pytest.fixture(scope="module")
def rag(services: Callable[..., Service], fake_llm: FakeLLM) -> Service:
    service = services(
        RAG_API_KEYS=KEY,
        LLM_BASE_URL=f"{fake_llm.url}/v1",
        LLM_MODEL="fake-model",
        LLM_API_KEY="sk-test-upstream",
    )
    with service.client(Authorization=f"Bearer {KEY}") as http:
        assert http.post("/v1/documents", json={"text": FACT, "title": "Buses"}).status_code == 201
    return service


def _own_embedding(service: Service, text: str) -> np.ndarray:
    with service.client(Authorization=f"Bearer {KEY}") as http:
        body = http.post("/v1/embeddings", json={"input": text}).json()
    return np.array(body["data"][0]["embedding"])


def _assert_answered_from_the_documents(answer: str, llm: FakeLLM) -> None:
    assert answer.endswith("is in [1].") and QUESTION in answer
    sent = llm.last()["last"]["messages"]
    assert FACT in sent[0]["content"] and sent[-1]["content"] == QUESTION


def test_langchain_chat_openai_answers_from_the_documents(rag: Service, llm: FakeLLM) -> None:
    chat = ChatOpenAI(base_url=f"{rag.url}/v1", api_key=KEY, model="default", max_retries=0)
    answer = chat.invoke(QUESTION)
    assert isinstance(answer.content, str)
    _assert_answered_from_the_documents(answer.content, llm)


def test_langchain_chat_openai_streams(rag: Service, llm: FakeLLM) -> None:
    chat = ChatOpenAI(base_url=f"{rag.url}/v1", api_key=KEY, model="default", max_retries=0)
    text = "".join(str(chunk.content) for chunk in chat.stream(QUESTION))
    _assert_answered_from_the_documents(text, llm)


def test_langchain_openai_embeddings_are_the_service_model(rag: Service) -> None:
    # Off: LangChain would otherwise send OpenAI's tiktoken token ids, which only OpenAI's
    # own models read (and tiktoken fetches its tables from the internet).
    embeddings = OpenAIEmbeddings(
        base_url=f"{rag.url}/v1", api_key=KEY, model="any", check_embedding_ctx_length=False
    )
    vector = np.array(embeddings.embed_query(FACT))
    assert vector.shape == (384,) and np.allclose(vector, _own_embedding(rag, FACT), atol=1e-5)
    documents = np.array(embeddings.embed_documents([FACT, "Something else entirely."]))
    # The int8 model quantises each batch's activations as a whole: a text embedded beside
    # another moves by a hair, never more.
    cosine = documents[0] @ vector
    assert documents.shape == (2, 384) and cosine > 0.99


def test_llamaindex_openai_like_answers_from_the_documents(rag: Service, llm: FakeLLM) -> None:
    model = OpenAILike(
        model="default",
        api_base=f"{rag.url}/v1",
        api_key=KEY,
        is_chat_model=True,
        max_retries=0,
    )
    answer = model.chat([ChatMessage(role="user", content=QUESTION)])
    _assert_answered_from_the_documents(str(answer.message.content), llm)


def test_llamaindex_openai_like_embedding_is_the_service_model(rag: Service) -> None:
    embedding = OpenAILikeEmbedding(model_name="any", api_base=f"{rag.url}/v1", api_key=KEY)
    vector = np.array(embedding.get_text_embedding(FACT))
    assert vector.shape == (384,) and np.allclose(vector, _own_embedding(rag, FACT), atol=1e-5)
