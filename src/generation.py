"""Answers from retrieved passages: an OpenAI-compatible chat model, or an extractive fallback."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from src.embedding import Embedder
from src.errors import LLMError, LLMTimeoutError
from src.models import Hit, Matrix
from src.telemetry import LLM_ERRORS
from src.text.segmentation import Segmenter
from src.text.terms import query_terms

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages below. Cite the passages you use "
    "with their numbers in square brackets, like [1] or [2][3]. If the passages do not contain "
    "the answer, say that you do not know.\n\nPassages:\n{passages}"
)
EXTRACTIVE_PREFIX = "No language model is configured; the best-matching passages say: "
NO_CONTEXT_ANSWER = "No stored document matches the question, so there is nothing to answer from."
# Latin sentences end at . ! ? followed by a space; Chinese and Japanese ones at their
# full stop, exclamation, question mark and semicolon (U+3002, U+FF01, U+FF1F, U+FF1B),
# with no space after them (closing quotes and brackets stay with their sentence).
_LATIN_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CJK_SENTENCE = re.compile(
    "[^\u3002\uff01\uff1f\uff1b]*[\u3002\uff01\uff1f\uff1b]+[\u201d\u2019\u300d\u300f\uff09]*"
    "|[^\u3002\uff01\uff1f\uff1b]+"
)
_CITATION = re.compile(r"\[(\d+)\]")
RELATIVE_SENTENCE_MARGIN = 0.15
# A sentence's score is its cosine to the question plus this share of the question's keyword
# terms it contains: the bundled English model alone cannot tell which Chinese sentence
# answers a Chinese question, and the words a question shares with a sentence can.
LEXICAL_WEIGHT = 0.5
Message = dict[str, str]


def format_passages(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{n}] ({hit.title})\n{hit.text}" for n, hit in enumerate(hits, start=1))


def grounded_messages(
    question: str, hits: list[Hit], history: list[Message] | None = None
) -> list[Message]:
    system = {"role": "system", "content": SYSTEM_PROMPT.format(passages=format_passages(hits))}
    return [system, *(history or []), {"role": "user", "content": question}]


def sentences(text: str) -> list[str]:
    """The text's sentences, stripped, in order, the empty ones left out."""
    pieces = (
        match.group()
        for part in _LATIN_SENTENCE_END.split(text)
        for match in _CJK_SENTENCE.finditer(part)
    )
    return [piece.strip() for piece in pieces if piece.strip()]


def cited_numbers(answer: str, available: int) -> list[int]:
    numbers = dict.fromkeys(int(n) for n in _CITATION.findall(answer))
    return [n for n in numbers if 1 <= n <= available]


def extractive_answer(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    segmenter: Segmenter,
    asked: Matrix | None = None,
    max_sentences: int = 3,
) -> str:
    """The sentences of the passages closest to the question, each with its citation.
    `asked`: the question's embedding, when the caller has it already."""
    if not hits:
        return NO_CONTEXT_ANSWER
    candidates = [
        (n, sentence)
        for n, hit in enumerate(hits, start=1)
        for sentence in sentences(hit.text)
        if len(sentence) > 2
    ]
    if not candidates:
        return EXTRACTIVE_PREFIX + f"{hits[0].text} [1]"
    if asked is None:
        asked = embedder.embed([question], query=True)[0]
    vectors = embedder.embed([sentence for _, sentence in candidates])
    lexical = _shared_terms(segmenter, question, candidates)
    scores = vectors @ asked + LEXICAL_WEIGHT * lexical
    ranked = np.argsort(-scores)[:max_sentences].tolist()
    # Only sentences nearly as close as the best one: a weak runner-up adds noise, not support.
    floor = float(scores[ranked[0]]) - RELATIVE_SENTENCE_MARGIN
    best = sorted(i for i in ranked if scores[i] >= floor)  # keep reading order
    return EXTRACTIVE_PREFIX + " ".join(f"{candidates[i][1]} [{candidates[i][0]}]" for i in best)


def _terms(segmenter: Segmenter, text: str) -> set[str]:
    return set(query_terms(segmenter.expand(text.lower())))


def _shared_terms(
    segmenter: Segmenter, question: str, candidates: list[tuple[int, str]]
) -> npt.NDArray[np.float32]:
    """The share of the question's keyword terms each candidate sentence contains."""
    asked = _terms(segmenter, question)
    shared = [
        len(asked & _terms(segmenter, sentence)) / max(len(asked), 1) for _, sentence in candidates
    ]
    return np.array(shared, dtype=np.float32)


class ChatModel:
    """A client for any OpenAI-compatible `/chat/completions` endpoint."""

    def __init__(
        self, base_url: str, api_key: str, model: str, timeout_s: float, max_tokens: int
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
        )
        self.model = model
        self._max_tokens = max_tokens

    async def aclose(self) -> None:
        await self._client.aclose()

    def _payload(self, messages: list[Message], stream: bool, **options: Any) -> dict[str, Any]:
        options = {k: v for k, v in options.items() if v is not None}
        return {
            "model": self.model,
            "messages": messages,
            "stream": stream,
            "max_tokens": self._max_tokens,
            **options,
        }

    async def complete(self, messages: list[Message], **options: Any) -> str:
        response = await self._send(self._payload(messages, False, **options), stream=False)
        try:
            return str(response.json()["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            LLM_ERRORS.labels("bad_response").inc()
            raise LLMError("the language model's answer was not an OpenAI chat completion") from exc

    async def stream(self, messages: list[Message], **options: Any) -> AsyncIterator[str]:
        """Checks the model accepted the request before returning its text deltas, so an
        upstream error becomes an HTTP error instead of a broken stream."""
        response = await self._send(self._payload(messages, True, **options), stream=True)
        return self._deltas(response)

    async def _send(self, payload: dict[str, Any], stream: bool) -> httpx.Response:
        request = self._client.build_request("POST", "/chat/completions", json=payload)
        try:
            response = await self._client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            LLM_ERRORS.labels("timeout").inc()
            raise LLMTimeoutError(
                f"the language model at {self._client.base_url} did not answer in time",
                hint="raise LLM_TIMEOUT_S or check the model server",
            ) from exc
        except httpx.HTTPError as exc:
            LLM_ERRORS.labels("unreachable").inc()
            raise LLMError(
                f"the language model at {self._client.base_url} could not be reached: "
                f"{type(exc).__name__}",
                hint="check LLM_BASE_URL",
            ) from exc
        if response.status_code >= 400:
            body = (await response.aread()).decode("utf-8", "replace")[:300]
            await response.aclose()
            LLM_ERRORS.labels(f"http_{response.status_code}").inc()
            raise LLMError(
                f"the language model answered HTTP {response.status_code}: {body}",
                hint="check LLM_MODEL and LLM_API_KEY",
            )
        return response

    async def _deltas(self, response: httpx.Response) -> AsyncIterator[str]:
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                delta = _delta_text(data)
                if delta:
                    yield delta
        except httpx.TimeoutException as exc:
            LLM_ERRORS.labels("timeout").inc()
            raise LLMTimeoutError(
                "the language model stopped sending in the middle of its answer"
            ) from exc
        except httpx.HTTPError as exc:
            LLM_ERRORS.labels("unreachable").inc()
            raise LLMError(f"the language model's stream broke: {type(exc).__name__}") from exc
        finally:
            await response.aclose()


def _delta_text(data: str) -> str:
    try:
        choices = json.loads(data).get("choices") or [{}]
        return str((choices[0].get("delta") or {}).get("content") or "")
    except (ValueError, AttributeError, TypeError) as exc:
        raise LLMError("the language model sent a malformed stream event") from exc
