"""MCP at /mcp through the official MCP Python client: the tools, their bounds, their errors
(the HTTP API's bodies), and the keys, exactly as /v1 takes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import FakeLLM, Service
from documents import pdf_pages
from format_cases import covers
from helpers import upload_files
from mcp.shared.exceptions import MCPError
from mcp_client import MODES, McpTarget

from api.auth import UNAUTHORIZED
from api.middleware import JSONRPC_UNAUTHORIZED
from api.schemas.base import MAX_QUERY_CHARS

KEY = "mcp-key-5d1e"
TOOLS = {"search", "ask", "list_documents", "get_document", "list_collections"}
PAGES = [
    "Badgers dig setts with many tunnels. " * 3,
    "The canteen opens at noon on weekdays and closes at three. " * 3,
]


@pytest.fixture(scope="module")
def secured(services: Callable[..., Service]) -> Service:
    service = services(RAG_API_KEYS=KEY)
    with service.client(Authorization=f"Bearer {KEY}") as http:
        files = {"files": ("handbook.pdf", pdf_pages(PAGES, "Staff handbook"), "application/pdf")}
        upload_files(http, files)
    return service


@pytest.fixture(scope="module", params=MODES)
def mcp(request: pytest.FixtureRequest, secured: Service) -> McpTarget:
    return McpTarget(secured.url, KEY, mode=request.param)


def _http(service: Service) -> httpx.Client:
    return service.client(Authorization=f"Bearer {KEY}")


def test_list_tools_names_each_with_bounded_schema(mcp: McpTarget) -> None:
    tools = {tool.name: tool for tool in mcp.tools()}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.output_schema
        assert tool.annotations is not None and tool.annotations.read_only_hint
    query = tools["search"].input_schema["properties"]["query"]
    assert query["maxLength"] == MAX_QUERY_CHARS and query["minLength"] == 1
    assert tools["ask"].input_schema["required"] == ["question"]
    assert tools["get_document"].input_schema["properties"]["limit"]["maximum"] == 500


def test_search_returns_passages_with_title_place_and_score(mcp: McpTarget) -> None:
    found = mcp.ok("search", query="When does the canteen open?", top_k=2)
    best = found["results"][0]
    assert "canteen opens at noon" in best["text"]
    assert best["title"] == "Staff handbook" and best["document_id"]
    assert covers(best["place"], "page", 2) and best["place"]["label"].startswith("p")
    assert best["score"] > 0 and len(found["results"]) <= 2


def test_search_gives_what_v1_retrieve_gives(mcp: McpTarget, secured: Service) -> None:
    body = {"query": "badger tunnels", "top_k": 3, "mode": "keyword"}
    with _http(secured) as http:
        over_http = http.post("/v1/retrieve", json=body).json()
    assert mcp.ok("search", **body) == over_http


def test_ask_without_llm_answers_extractively_with_citations(mcp: McpTarget) -> None:
    answer = mcp.ok("ask", question="When does the canteen open?")
    assert answer["mode"] == "extractive" and "noon" in answer["answer"]
    cited = answer["citations"][answer["cited"][0] - 1]
    assert covers(cited["place"], "page", 2)


def test_ask_with_llm_says_the_model_wrote_it(llm_service: Service, llm: FakeLLM) -> None:
    with llm_service.client() as http:
        http.post("/v1/documents", json={"text": "Otters hold hands while they sleep."})
    answer = McpTarget(llm_service.url).ok("ask", question="How do otters sleep?")
    assert answer["mode"] == "llm" and answer["model"] == "fake-model"
    assert "[1]" in answer["answer"] and answer["cited"] == [1]
    sent = llm.last()["last"]["messages"]
    assert "Otters hold hands" in sent[0]["content"]
    assert sent[-1] == {"role": "user", "content": "How do otters sleep?"}


def test_list_and_read_a_document_chunk_by_chunk(mcp: McpTarget) -> None:
    listed = mcp.ok("list_documents", limit=10)
    document = next(d for d in listed["items"] if d["title"] == "Staff handbook")
    first = mcp.ok("get_document", document_id=document["id"], limit=1)
    assert first["document"]["id"] == document["id"] and len(first["items"]) == 1
    rest = mcp.ok("get_document", document_id=document["id"], offset=1, limit=500)
    assert len(rest["items"]) == first["total"] - 1
    text = " ".join(c["text"] for c in first["items"] + rest["items"])
    assert "Badgers dig setts" in text and "closes at three" in text


def test_list_collections_gives_what_v1_gives(mcp: McpTarget, secured: Service) -> None:
    with _http(secured) as http:
        over_http = http.get("/v1/collections").json()
    assert mcp.ok("list_collections") == over_http
    assert over_http["items"][0]["name"] == "default" and over_http["items"][0]["documents"]


@pytest.mark.parametrize(
    ("path", "tool", "arguments"),
    [
        ("/v1/documents/nope", "get_document", {"document_id": "nope"}),
        ("/v1/documents/nope/chunks", "get_document", {"document_id": "nope"}),
        ("/v1/documents?collection=absent", "list_documents", {"collections": ["absent"]}),
    ],
)
def test_tool_error_carries_the_http_api_error_body(
    mcp: McpTarget, secured: Service, path: str, tool: str, arguments: dict[str, Any]
) -> None:
    with _http(secured) as http:
        over_http = http.get(path)
    assert over_http.status_code == 404
    assert mcp.error(tool, **arguments) == over_http.json()


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("search", {"query": ""}, "query"),
        ("search", {"query": "x" * (MAX_QUERY_CHARS + 1)}, "query"),
        ("search", {"query": "x", "top_k": 0}, "top_k"),
        ("search", {"query": "x", "mode": "fuzzy"}, "mode"),
        ("search", {"query": "x", "collections": ["Bad Name"]}, "collections"),
        ("ask", {}, "question"),
        ("get_document", {"document_id": "x", "limit": 501}, "limit"),
        ("list_documents", {"offset": -1}, "offset"),
    ],
)
def test_bad_argument_is_a_tool_error_naming_it(
    mcp: McpTarget, tool: str, arguments: dict[str, Any], named: str
) -> None:
    error = mcp.error(tool, **arguments)["error"]
    assert error["type"] == "invalid_request"
    assert error["message"].startswith(f"invalid request: {named}")
    assert "input schema" in error["hint"]


@pytest.mark.parametrize("key", ["", "wrong-key"])
def test_missing_or_wrong_key_is_refused_before_any_tool(secured: Service, key: str) -> None:
    for mode in MODES:
        with pytest.raises(BaseException) as raised:
            McpTarget(secured.url, key, mode=mode).tools()
        error = _innermost(raised.value)
        assert isinstance(error, MCPError), error
        assert error.code == JSONRPC_UNAUTHORIZED and UNAUTHORIZED in error.message


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}])
def test_mcp_without_valid_key_is_401_with_a_jsonrpc_error(
    secured: Service, headers: dict[str, str]
) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with secured.client(**headers) as http:
        response = http.post("/mcp", json=hello, headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == JSONRPC_UNAUTHORIZED and UNAUTHORIZED in error["message"]
    assert error["data"]["error"]["type"] == "unauthorized"


def test_right_key_by_either_header_is_served(secured: Service) -> None:
    assert {t.name for t in McpTarget(secured.url, KEY).tools()} == TOOLS
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"X-API-Key": KEY, "Accept": "application/json, text/event-stream"}
    with secured.client() as http:
        response = http.post("/mcp", json=hello, headers=headers)
    assert response.status_code == 200, response.text


def test_body_over_request_limit_is_413_as_jsonrpc_error(secured: Service) -> None:
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "search", "arguments": {"query": "x" * 2_000_000}},
    }
    with _http(secured) as http:
        response = http.post("/mcp", json=call, headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert "RAG_MAX_REQUEST_KB" in response.json()["error"]["message"]


def _innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def _rpc(method: str, **params: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search"',
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": "\\ud800"}}',
        _rpc("no/such/method"),
        _rpc("tools/call", name="no_such_tool", arguments={}),
        _rpc("tools/call", name="search", arguments="not an object"),
        _rpc(
            "tools/call",
            name="search",
            arguments={"query": "x", "filters": {"metadata": {"a": {}}}},
        ),
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", '
        b'"params": {"name": "search", "arguments": {"query": "x", "top_k": 1e400}}}',
    ],
)
def test_malformed_mcp_request_is_refused_and_service_stays_up(
    secured: Service, body: bytes
) -> None:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with _http(secured) as http:
        response = http.post("/mcp", content=body, headers=headers)
        assert response.status_code in (200, 400), response.text
        answer = response.json()
        assert "error" in answer or answer["result"]["isError"], answer
        assert http.get("/ready").status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_mcp_other_than_post_is_405(secured: Service, method: str) -> None:
    # Stateless: no stream to hold open on a GET, no session to end on a DELETE.
    with _http(secured) as http:
        response = http.request(method, "/mcp", headers={"Accept": "text/event-stream"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
