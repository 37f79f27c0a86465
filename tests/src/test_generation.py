"""Answers from passages: the extractive fallback with the hashed embedder, citations,
sentence splitting, the grounded prompt, and ChatModel against the fake LLM server."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeLLM, free_port
from hashed_embedder import HashedEmbedder
from helpers import run_async

from src.errors import LLMError, LLMTimeoutError
from src.generation import (
    EXTRACTIVE_PREFIX,
    NO_CONTEXT_ANSWER,
    SYSTEM_PROMPT,
    ChatModel,
    Message,
    cited_numbers,
    extractive_answer,
    grounded_messages,
    sentences,
)
from src.models import Hit
from src.text.segmentation import Segmenter

SEGMENTER = Segmenter()


def _hit(n: int, text: str, title: str = "") -> Hit:
    return Hit(n, f"doc-{n}", title or f"title {n}", 0, text, 0, len(text), 1.0 / n)


def _hits(*texts: str) -> list[Hit]:
    return [_hit(n, text) for n, text in enumerate(texts, start=1)]


# -- extractive_answer -----------------------------------------------------------------------


def test_extractive_answer_picks_the_closest_sentence_with_its_citation() -> None:
    hits = _hits(
        "Cats sleep most of the day. Bread needs flour and water.",
        "Parsley grows in pots. The harbour crane lifts steel containers.",
    )
    answer = extractive_answer("what lifts steel containers", hits, HashedEmbedder(), SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "The harbour crane lifts steel containers. [2]"


def test_extractive_answer_lists_close_sentences_in_reading_order() -> None:
    # The second passage's sentence is the closest; the first one's is nearly as close.
    hits = _hits("Goats graze meadows daily. Cranes lift steel.", "Goats graze meadows.")
    answer = extractive_answer("goats graze meadows", hits, HashedEmbedder(), SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "Goats graze meadows daily. [1] Goats graze meadows. [2]"


def test_extractive_answer_keeps_at_most_max_sentences() -> None:
    hits = _hits(*["Goats graze."] * 4)  # four sentences as close as each other
    answer = extractive_answer("goats graze", hits, HashedEmbedder(), SEGMENTER, max_sentences=2)
    assert answer.count("Goats graze.") == 2
    assert len(cited_numbers(answer, len(hits))) == 2


def test_extractive_answer_without_hits_is_no_context() -> None:
    embedder = HashedEmbedder()
    assert extractive_answer("anything", [], embedder, SEGMENTER) == NO_CONTEXT_ANSWER
    assert embedder.calls == []


def test_extractive_answer_without_sentences_quotes_the_first_passage() -> None:
    embedder = HashedEmbedder()
    answer = extractive_answer("anything", _hits("ok", "no"), embedder, SEGMENTER)
    assert answer == EXTRACTIVE_PREFIX + "ok [1]"
    assert embedder.calls == []


def test_extractive_answer_with_asked_vector_does_not_embed_the_question() -> None:
    embedder = HashedEmbedder()
    hits = _hits("Cats sleep most of the day.", "The harbour crane lifts steel containers.")
    # The question shares no word with any sentence: only `asked` can point at the crane.
    asked = embedder.vector("harbour crane lifts steel containers")
    answer = extractive_answer("zzz qqq", hits, embedder, SEGMENTER, asked=asked)
    assert answer == EXTRACTIVE_PREFIX + "The harbour crane lifts steel containers. [2]"
    assert [query for _, query in embedder.calls] == [False]  # the sentences only


def test_extractive_answer_without_asked_vector_embeds_the_question_as_a_query() -> None:
    embedder = HashedEmbedder()
    extractive_answer("crane", _hits("The crane lifts."), embedder, SEGMENTER)
    assert embedder.calls[0] == (["crane"], True)


def test_extractive_answer_uses_the_segmenter_given(tmp_path: Path) -> None:
    # The hashed embedder takes each CJK sentence as one word: only shared terms rank them.
    hits = _hits("我们的云原生平台很好。", "云原生和平台都很好。")
    question = "云原生平台"
    plain = extractive_answer(question, hits, HashedEmbedder(), Segmenter())
    assert plain.endswith("我们的云原生平台很好。 [1] 云原生和平台都很好。 [2]")
    # With the product name as a word, the sentence that names it whole is far ahead.
    user_dict = tmp_path / "words.txt"
    user_dict.write_text("云原生平台 100\n", encoding="utf-8")
    named = extractive_answer(question, hits, HashedEmbedder(), Segmenter(user_dict))
    assert named == EXTRACTIVE_PREFIX + "我们的云原生平台很好。 [1]"


# -- citations, sentences, prompt ------------------------------------------------------------


def test_cited_numbers_keeps_first_mentions_in_order() -> None:
    assert cited_numbers("See [2], then [1][2] and [2].", 3) == [2, 1]


def test_cited_numbers_drops_numbers_out_of_range() -> None:
    assert cited_numbers("[0] [1] [4] [12]", 3) == [1]
    assert cited_numbers("no citation here, nor (1) or [a]", 3) == []


def test_sentences_splits_latin_text_at_end_marks_and_newlines() -> None:
    text = "First one. Second one! Third one?  Fourth\nFifth line\n\n  "
    assert sentences(text) == ["First one.", "Second one!", "Third one?", "Fourth", "Fifth line"]


def test_sentences_keeps_decimals_and_unspaced_periods_together() -> None:
    assert sentences("Version 2.5 ships today.See notes.") == ["Version 2.5 ships today.See notes."]


def test_sentences_splits_cjk_text_at_full_width_marks() -> None:
    text = "今天下雨。你去吗？太好了！第一；第二「引用。」最后"
    assert sentences(text) == [
        "今天下雨。",
        "你去吗？",
        "太好了！",
        "第一；",
        "第二「引用。」",
        "最后",
    ]


def test_sentences_of_blank_text_is_empty() -> None:
    assert sentences(" \n\n ") == []


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
