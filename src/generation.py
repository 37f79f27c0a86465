"""Answers from retrieved passages by an OpenAI-compatible chat model (src/extractive.py answers
when none is configured)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from src.errors import LLMError, LLMTimeoutError
from src.models import Hit
from src.places import describe
from src.telemetry import LLM_ERRORS

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages below. Cite the passages you use "
    "with their numbers in square brackets, like [1] or [2][3]. If the passages do not contain "
    "the answer, say that you do not know.\n\nPassages:\n{passages}"
)
_CITATION = re.compile(r"\[(\d+)\]")
Message = dict[str, str]


def _source(hit: Hit) -> str:
    """The passage's document and, where known, its place in it: "(report.pdf, p. 87)"."""
    return ", ".join(filter(None, (hit.title, describe(hit.place))))


def format_passages(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{n}] ({_source(hit)})\n{hit.text}" for n, hit in enumerate(hits, 1))


def grounded_messages(
    question: str, hits: list[Hit], history: list[Message] | None = None
) -> list[Message]:
    system = {"role": "system", "content": SYSTEM_PROMPT.format(passages=format_passages(hits))}
    return [system, *(history or []), {"role": "user", "content": question}]


def cited_numbers(answer: str, available: int) -> list[int]:
    numbers = dict.fromkeys(int(n) for n in _CITATION.findall(answer))
    return [n for n in numbers if 1 <= n <= available]


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
