"""Bodies of the OpenAI-compatible routes (`/v1/models`, `/v1/chat/completions`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.base import MAX_QUERY_CHARS, RERANK_IN, RERANKED_OUT, CitationOut
from src.errors import InvalidInputError
from src.generation import Message

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
    rerank: bool = Field(True, description=RERANK_IN + " (extension)")

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


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "rag-api"


class ModelListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class AssistantMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    index: int = 0
    finish_reason: str = "stop"
    logprobs: None = None
    message: AssistantMessageOut


class UsageOut(BaseModel):
    # Token counts are not measured: zeros, as several OpenAI-compatible servers send.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: UsageOut = Field(default_factory=UsageOut)
    citations: list[CitationOut] = Field(description="The passages the answer's [n] refer to.")
    reranked: bool = Field(False, description=RERANKED_OUT)
