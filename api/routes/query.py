"""Questions answered from the stored documents, with numbered citations."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from api.deps import AccessDep, ServiceDep
from api.errors import classify, error_body
from api.schemas import CitationOut, QueryIn, QueryOut
from api.schemas.base import filters_of
from api.sse import SSE_HEADERS, sse
from src.errors import RagError
from src.service import AnswerStream

router = APIRouter(tags=["query"])


@router.post(
    "/query",
    response_model=QueryOut,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def query(body: QueryIn, service: ServiceDep, access: AccessDep) -> QueryOut | Response:
    filters = filters_of(body.filters, body.collections)
    mode, rerank = body.search_mode, body.rerank
    if body.stream:
        stream = await service.stream_answer(
            access, body.question, body.top_k, filters, search_mode=mode, rerank=rerank
        )
        return StreamingResponse(
            _events(stream), media_type="text/event-stream", headers=SSE_HEADERS
        )
    answer = await service.answer(
        access, body.question, body.top_k, filters, search_mode=mode, rerank=rerank
    )
    return QueryOut.of(answer)


async def _events(stream: AnswerStream) -> AsyncIterator[str]:
    """`citations` first, then `delta` events with text, then `done` (or `error`)."""
    citations = [c.model_dump() for c in CitationOut.numbered(stream.hits)]
    head = {"mode": stream.mode, "model": stream.model, "reranked": stream.reranked}
    yield sse({**head, "citations": citations}, "citations")
    try:
        async for delta in stream.deltas():
            yield sse({"text": delta}, "delta")
    except RagError as exc:
        _, kind = classify(exc)
        yield sse(error_body(kind, exc.message, exc.hint), "error")
        return
    yield sse({"answer": stream.text, "cited": stream.cited}, "done")
