"""Answers from passages by a language model: citations, the grounded prompt, and ChatModel
against the fake LLM server."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import FakeLLM, free_port
from helpers import hit as _hit
from helpers import run_async

from src.errors import LLMError, LLMTimeoutError
from src.generation import (
    SYSTEM_PROMPT,
    ChatModel,
    Message,
    cited_numbers,
    grounded_messages,
)
from src.text.segmentation import Segmenter

SEGMENTER = Segmenter()


# -- citations, prompt ------------------------------------------------------------


def test_cited_numbers_keeps_first_mentions_in_order() -> None:
    assert cited_numbers("See [2], then [1][2] and [2].", 3) == [2, 1]


def test_cited_numbers_drops_numbers_out_of_range() -> None:
    assert cited_numbers("[0] [1] [4] [12]", 3) == [1]
    assert cited_numbers("no citation here, nor (1) or [a]", 3) == []


def test_grounded_messages_numbers_passages_and_keeps_history() -> None:
    hits = [_hit(1, "Goats graze.", "Farm"), _hit(2, "Cranes lift.", "Port")]
    history: list[Message] = [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "reply"},
    ]
    messages = grounded_messages("What lifts?", hits, history)
    passages = "[1] (Farm)\nGoats graze.\n\n[2] (Port)\nCranes lift."
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT.format(passages=passages)}
    assert messages[1:] == [*history, {"role": "user", "content": "What lifts?"}]


def test_grounded_messages_without_history_is_system_then_question() -> None:
    messages = grounded_messages("Why?", [_hit(1, "Because.")])
    assert [m["role"] for m in messages] == ["system", "user"]


# -- ChatModel against the fake OpenAI-compatible server -------------------------------------

QUESTION: list[Message] = [{"role": "user", "content": "Where do goats graze?"}]


def _chat(llm: FakeLLM, timeout_s: float = 5.0) -> ChatModel:
    return ChatModel(f"{llm.url}/v1/", "sk-test", "fake-model", timeout_s, max_tokens=77)


def test_chat_complete_returns_the_answer_and_sends_the_payload(llm: FakeLLM) -> None:
    async def run() -> str:
        chat = _chat(llm)
        try:
            return await chat.complete(QUESTION, temperature=0.2, top_p=None)
        finally:
            await chat.aclose()

    answer = run_async(run())
    assert answer == "According to the passages, the answer to 'Where do goats graze?' is in [1]."
    sent = llm.last()["last"]
    assert sent["model"] == "fake-model" and sent["max_tokens"] == 77
    assert sent["stream"] is False and sent["messages"] == QUESTION
    assert sent["temperature"] == 0.2 and "top_p" not in sent


def test_chat_stream_yields_the_answer_in_deltas(llm: FakeLLM) -> None:
    async def run() -> list[str]:
        chat = _chat(llm)
        try:
            return [delta async for delta in await chat.stream(QUESTION)]
        finally:
            await chat.aclose()

    deltas = run_async(run())
    assert len(deltas) > 1
    assert "".join(deltas).endswith("is in [1].")
    assert llm.last()["last"]["stream"] is True


@pytest.mark.parametrize("streamed", [False, True])
def test_chat_upstream_error_raises_before_any_text(llm: FakeLLM, streamed: bool) -> None:
    llm.set("error")

    async def run() -> None:
        chat = _chat(llm)
        try:
            await (chat.stream(QUESTION) if streamed else chat.complete(QUESTION))
        finally:
            await chat.aclose()

    with pytest.raises(LLMError, match="HTTP 500"):
        run_async(run())


def test_chat_complete_with_garbage_answer_raises(llm: FakeLLM) -> None:
    llm.set("garbage")

    async def run() -> str:
        chat = _chat(llm)
        try:
            return await chat.complete(QUESTION)
        finally:
            await chat.aclose()

    with pytest.raises(LLMError, match="not an OpenAI chat completion"):
        run_async(run())


def test_chat_complete_past_timeout_raises_timeout(llm: FakeLLM) -> None:
    llm.set("slow", delay=30)

    async def run() -> str:
        chat = _chat(llm, timeout_s=0.3)
        try:
            return await chat.complete(QUESTION)
        finally:
            await chat.aclose()

    with pytest.raises(LLMTimeoutError):
        run_async(run())


def test_chat_unreachable_server_raises() -> None:
    async def run() -> str:
        chat = ChatModel(f"http://127.0.0.1:{free_port()}/v1", "", "m", 2.0, 10)  # none listens
        try:
            return await chat.complete(QUESTION)
        finally:
            await chat.aclose()

    with pytest.raises(LLMError, match="could not be reached"):
        run_async(run())


def test_grounded_messages_name_each_passage_with_its_place() -> None:
    paged = dataclasses.replace(
        _hit(1, "The reactor is cooled by water.", "Manual"), place={"page": 87}
    )
    system = grounded_messages("How is it cooled?", [paged, _hit(2, "Plain text.", "Notes")])[0]
    assert "[1] (Manual, p. 87)\nThe reactor is cooled by water." in system["content"]
    assert "[2] (Notes)\nPlain text." in system["content"]
