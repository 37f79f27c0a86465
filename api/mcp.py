"""The Model Context Protocol at `/mcp` (streamable HTTP), for agents and editors.

Its tools are the `/v1` routes an agent needs to read a knowledge base, with the same
bodies, bounds and answers: the same keys let a request in (`api.auth.ApiKeyAuth` guards
`/mcp` as it guards `/v1`), the same collection scopes decide what a tool sees, and a
failure is a tool error carrying the HTTP API's error body (its type, message and hint).

Stateless and answered in JSON: a request holds no session, so any replica behind a load
balancer answers any call, and nothing is kept between calls to be cleaned up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field, ValidationError
from starlette.requests import Request

from api.deps import get_access, get_service
from api.errors import rag_error_body, validation_body
from api.middleware import MCP_PATH
from api.schemas import ChunkOut, ChunkPage, DocumentOut, DocumentPage, HitOut, QueryOut
from api.schemas.admin import CollectionList, CollectionOut
from api.schemas.base import (
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    DocumentId,
    FiltersIn,
    Searched,
    Source,
    TopK,
    filters_of,
)
from api.schemas.base import RetrieveOut as SearchOut
from src.access import Access
from src.config import Settings
from src.errors import RagError
from src.models import SearchMode
from src.service import RagService

ARGUMENTS_HINT = "check the arguments against the tool's input schema"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "rag-api answers questions from a team's documents. Use `search` to find passages "
    "(each with its document, title, place in the file and score), `ask` for an answer "
    "written from those passages with numbered citations, `list_collections` and "
    "`list_documents` to see what is stored, and `get_document` to read one document "
    "chunk by chunk. You see only the collections your key may read."
)
Query = Annotated[
    str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for.")
]
Question = Annotated[
    str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description="The question.")
]
Limit = Annotated[int, Field(ge=1, le=500, description="How many to return (1 to 500).")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="How many to skip.")]


def _request(ctx: Context) -> Request:
    request = ctx.request_context.request
    if not isinstance(request, Request):  # only the HTTP transport is served
        raise ToolError("this tool is served over HTTP only")
    return request


async def _caller(ctx: Context) -> tuple[RagService, Access]:
    """The service and the rights of the key that sent the call, as a /v1 route sees them."""
    request = _request(ctx)
    service = await get_service(request.app.state.holder)
    return service, await get_access(request, service)


def _as_http_error(exc: ToolError) -> ToolError:
    """A failed call's text: the HTTP API's error body for the same failure (JSON)."""
    cause = exc.__cause__
    if isinstance(cause, RagError):
        body = rag_error_body(cause)
    elif isinstance(cause, ValidationError):
        body = validation_body(cause.errors(), ARGUMENTS_HINT)
    else:
        return exc
    return ToolError(json.dumps(body, ensure_ascii=False))


class RagMcpServer(MCPServer[Any]):
    """The SDK's server, with a failed call's text as the HTTP API's error body: a
    `RagError` (which the SDK would hide as an unexpected crash) and an argument outside
    the schema alike. Any other exception stays the SDK's opaque "Error executing tool"."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            raise _as_http_error(exc) from exc.__cause__


async def search(
    ctx: Context,
    query: Query,
    top_k: TopK | None = None,
    mode: SearchMode = SearchMode.HYBRID,
    collections: Searched = None,
    filters: FiltersIn | None = None,
) -> SearchOut:
    """Find the stored passages that best match a query: each with its document id, title,
    collection, place in the source file (page, slide, sheet and rows...), text and score."""
    service, access = await _caller(ctx)
    searched = filters_of(filters, collections)
    ranking = await service.retrieve(access, query, top_k, mode, searched, True)
    hits = [HitOut.of(hit) for hit in ranking.hits]
    return SearchOut(query=query, mode=mode, results=hits, reranked=ranking.reranked)


async def ask(
    ctx: Context,
    question: Question,
    top_k: TopK | None = None,
    search_mode: SearchMode = SearchMode.HYBRID,
    collections: Searched = None,
    filters: FiltersIn | None = None,
) -> QueryOut:
    """Answer a question from the stored documents, citing passages as [1], [2]...: the
    citations, which of them the answer uses, and `mode`: "llm" when the configured language
    model wrote it, "extractive" when it is quoted from the passages (no model configured)."""
    service, access = await _caller(ctx)
    searched = filters_of(filters, collections)
    answer = await service.answer(access, question, top_k, searched, search_mode=search_mode)
    return QueryOut.of(answer)


async def list_documents(
    ctx: Context,
    limit: Limit = 50,
    offset: Offset = 0,
    collections: Searched = None,
    source: Annotated[Source | None, Field(description="Only this source's live version.")] = None,
    source_prefix: Annotated[
        Source | None, Field(description="Only documents whose source begins with this.")
    ] = None,
) -> DocumentPage:
    """The stored documents, newest first, with their ids, titles, sources and sizes."""
    service, access = await _caller(ctx)
    records, total = await asyncio.to_thread(
        service.list_documents, access, limit, offset, collections, source, source_prefix
    )
    items = [DocumentOut.of(r) for r in records]
    return DocumentPage(items=items, total=total, limit=limit, offset=offset)


async def get_document(
    ctx: Context,
    document_id: Annotated[DocumentId, Field(description="The id, as search or lists give it.")],
    limit: Annotated[
        int, Field(ge=1, le=500, description="How many chunks to return (1 to 500).")
    ] = 20,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Chunks to skip.")] = 0,
) -> ChunkPage:
    """One document's text, chunk by chunk in reading order, each chunk with its place in the
    file; `total` says how many chunks there are, so read on with `offset`."""
    service, access = await _caller(ctx)
    record, chunks = await asyncio.to_thread(
        service.list_chunks, access, document_id, limit, offset
    )
    items = [ChunkOut.of(c) for c in chunks]
    document, total = DocumentOut.of(record), record.chunk_count
    return ChunkPage(document=document, items=items, total=total, limit=limit, offset=offset)


async def list_collections(ctx: Context) -> CollectionList:
    """The collections (knowledge bases) this key may read, with their sizes."""
    service, access = await _caller(ctx)
    records = await asyncio.to_thread(service.collections.readable, access)
    return CollectionList(items=[CollectionOut.of(c) for c in records])


TOOLS: tuple[Callable[..., Awaitable[Any]], ...] = (
    search,
    ask,
    list_documents,
    get_document,
    list_collections,
)


class McpEndpoint:
    """The MCP server, its tools, and the ASGI app that serves it at `/mcp`."""

    def __init__(self, settings: Settings, version: str) -> None:
        self.server = RagMcpServer(
            "rag-api", version=version, instructions=INSTRUCTIONS, log_level="WARNING"
        )
        for tool in TOOLS:
            self.server.add_tool(tool, annotations=READ_ONLY)
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            json_response=True,
            stateless_http=True,
            max_request_body_size=settings.max_request_bytes,
            # Its Host check allows only localhost names; the service answers under any
            # name it is deployed as, and the API keys are what guard it (as on /v1).
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.app = StreamableHTTPASGIApp(self.server.session_manager)

    def running(self) -> AbstractAsyncContextManager[None]:
        """Entered for the app's lifetime: the task group the calls run in."""
        return self.server.session_manager.run()
