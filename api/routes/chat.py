"""OpenAI-compatible chat completions, answered with retrieval over the stored documents."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from api.deps import ServiceDep
from api.errors import classify, error_body
from api.schemas import (
    AssistantMessageOut,
    ChatCompletionIn,
    ChatCompletionOut,
    ChoiceOut,
    CitationOut,
    ModelListOut,
    ModelOut,
)
from api.sse import SSE_HEADERS, sse
from src.errors import RagError
from src.service import AnswerStream

router = APIRouter(tags=["openai"])


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


@router.get("/models")
def list_models(service: ServiceDep) -> ModelListOut:
    return ModelListOut(data=[ModelOut(id=service.model_name)])


@router.post(
    "/chat/completions",
    response_model=ChatCompletionOut,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionIn, service: ServiceDep
) -> ChatCompletionOut | Response:
    question, history = body.split()
    if body.stream:
        stream = await service.stream_answer(question, body.top_k, None, history, **body.options())
        return StreamingResponse(
            _chunks(stream), media_type="text/event-stream", headers=SSE_HEADERS
        )
    answer = await service.answer(question, body.top_k, None, history, **body.options())
    return ChatCompletionOut(
        id=_completion_id(),
        created=int(time.time()),
        model=answer.model,
        choices=[ChoiceOut(message=AssistantMessageOut(content=answer.text))],
        citations=CitationOut.numbered(answer.hits),
    )


async def _chunks(stream: AnswerStream) -> AsyncIterator[str]:
    base = {
        "id": _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": stream.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return sse({**base, "choices": [choice], **extra})

    citations = [c.model_dump() for c in CitationOut.numbered(stream.hits)]
    yield chunk({"role": "assistant", "content": ""}, citations=citations)
    try:
        async for delta in stream.deltas():
            yield chunk({"content": delta})
    except RagError as exc:
        _, kind = classify(exc)
        yield sse(error_body(kind, exc.message, exc.hint))
    else:
        yield chunk({}, "stop")
    yield sse("[DONE]")
