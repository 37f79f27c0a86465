"""OpenAI-compatible chat completions, answered with retrieval over the stored documents."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import ServiceDep
from api.errors import classify, error_body
from api.schemas import MAX_QUERY_CHARS, CitationOut
from api.sse import SSE_HEADERS, sse
from src.errors import InvalidInputError, RagError
from src.generation import Message
from src.service import AnswerStream

router = APIRouter(tags=["openai"])
# Earlier turns may be longer than a question (answers, pasted context), but bounded too;
# the body itself is capped by RAG_MAX_REQUEST_KB.
MAX_MESSAGE_CHARS = 100_000
MAX_MESSAGES = 256
MAX_CONTENT_PARTS = 64
MessageText = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS)]


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Annotated[str, StringConstraints(max_length=64)]
    text: MessageText | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer", "function"]
    content: (
        MessageText | Annotated[list[ContentPart], Field(max_length=MAX_CONTENT_PARTS)] | None
    ) = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatCompletionIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: Annotated[str, StringConstraints(max_length=256)] = ""
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to retrieve (extension).")

    def split(self) -> tuple[str, list[Message]]:
        """The last user message (the question) and the conversation before it."""
        for index in range(len(self.messages) - 1, -1, -1):
            question = self.messages[index].text()
            if self.messages[index].role == "user" and question.strip():
                if len(question) > MAX_QUERY_CHARS:
                    raise InvalidInputError(
                        f"messages[{index}]: the question is {len(question):,} characters; "
                        f"the limit is {MAX_QUERY_CHARS:,}",
                        hint="ask a shorter question; put long context in a document instead",
                    )
                history = [{"role": m.role, "content": m.text()} for m in self.messages[:index]]
                return question, history
        raise InvalidInputError(
            "no user message with text in 'messages'",
            hint="end the conversation with a message of role 'user'",
        )

    def options(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p}


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


@router.get("/models")
def list_models(service: ServiceDep) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": service.model_name, "object": "model", "created": 0, "owned_by": "rag-api"}
        ],
    }


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
async def chat_completions(body: ChatCompletionIn, service: ServiceDep) -> Response:
    question, history = body.split()
    top_k = body.top_k or service.settings.default_top_k
    if body.stream:
        stream = await service.stream_answer(question, top_k, None, history, **body.options())
        return StreamingResponse(
            _chunks(stream), media_type="text/event-stream", headers=SSE_HEADERS
        )
    answer = await service.answer(question, top_k, None, history, **body.options())
    completion = {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": answer.text},
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [c.model_dump() for c in CitationOut.numbered(answer.hits)],
    }
    return Response(json.dumps(completion, ensure_ascii=False), media_type="application/json")


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
        async for delta in stream.deltas:
            yield chunk({"content": delta})
    except RagError as exc:
        _, kind = classify(exc)
        yield sse(error_body(kind, exc.message, exc.hint))
    else:
        yield chunk({}, "stop")
    yield sse("[DONE]")
