"""OpenAI-compatible models and chat completions, answered with retrieval over the stored
documents: each collection the key may read is a model (`rag-api/<name>`), `rag-api` all."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from api.deps import AccessDep, ServiceDep
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
from src.models import Filters
from src.scoping import Collections
from src.service import AnswerStream

router = APIRouter(tags=["openai"])


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


@router.get("/models")
def list_models(service: ServiceDep, access: AccessDep) -> ModelListOut:
    """One chat model per collection the key may read, `rag-api` for all of them, and the
    embedding model (/v1/embeddings)."""
    chat = [ModelOut(id=i) for i in service.collections.model_ids(access)]
    return ModelListOut(data=[*chat, ModelOut(id=service.embedding_model)])


@router.post(
    "/chat/completions",
    response_model=ChatCompletionOut,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionIn, service: ServiceDep, access: AccessDep
) -> ChatCompletionOut | Response:
    question, history = body.split()
    filters = Filters(collections=Collections.of_model(body.model))
    options = {**body.options(), "rerank": body.rerank}
    if body.stream:
        stream = await service.stream_answer(
            access, question, body.top_k, filters, history, **options
        )
        return StreamingResponse(
            _chunks(stream), media_type="text/event-stream", headers=SSE_HEADERS
        )
    answer = await service.answer(access, question, body.top_k, filters, history, **options)
    return ChatCompletionOut(
        id=_completion_id(),
        created=int(time.time()),
        model=answer.model,
        choices=[ChoiceOut(message=AssistantMessageOut(content=answer.text))],
        citations=CitationOut.numbered(answer.hits),
        reranked=answer.reranked,
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
    first = {"role": "assistant", "content": ""}
    yield chunk(first, citations=citations, reranked=stream.reranked)
    try:
        async for delta in stream.deltas():
            yield chunk({"content": delta})
    except RagError as exc:
        _, kind = classify(exc)
        yield sse(error_body(kind, exc.message, exc.hint))
    else:
        yield chunk({}, "stop")
    yield sse("[DONE]")
