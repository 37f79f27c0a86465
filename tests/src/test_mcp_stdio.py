"""`python -m src.mcp_stdio`: the service's MCP tools over stdio, as a desktop client
launches it, driven by the official MCP client against a running service."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import pytest
from conftest import ROOT, Service, free_port
from mcp_client import MODES, McpTarget, python_bridge

from api.auth import UNAUTHORIZED
from src.mcp_stdio import endpoint

KEY = "bridge-key-0b7c"


@pytest.fixture(scope="module")
def secured(services: Callable[..., Service]) -> Service:
    service = services(RAG_API_KEYS=KEY)
    with service.client(Authorization=f"Bearer {KEY}") as http:
        body = {"text": "The boiler is serviced every October.", "title": "Facilities"}
        assert http.post("/v1/documents", json=body).status_code == 201
    return service


@pytest.mark.parametrize("mode", MODES)
def test_bridge_serves_the_service_tools_over_stdio(secured: Service, mode: str) -> None:
    bridge = McpTarget(secured.url, KEY, mode=mode, bridge=python_bridge(secured.url))
    over_http = McpTarget(secured.url, KEY)
    assert [t.model_dump() for t in bridge.tools()] == [t.model_dump() for t in over_http.tools()]
    found = bridge.ok("search", query="When is the boiler serviced?", top_k=1)
    assert found["results"][0]["title"] == "Facilities"
    assert bridge.error("get_document", document_id="nope") == over_http.error(
        "get_document", document_id="nope"
    )


def _bridge(url: str, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], **({"RAG_API_KEY": key} if key is not None else {})}
    command = python_bridge(url)
    # A client's first message, then end of input: the bridge must answer or say why not.
    hello = '{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
    return subprocess.run(
        command, input=hello, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("key", [None, "wrong"])
def test_bridge_with_missing_or_wrong_key_exits_naming_the_variable(
    secured: Service, key: str | None
) -> None:
    ran = _bridge(secured.url, key)
    assert ran.returncode == 1 and ran.stdout == ""
    assert UNAUTHORIZED in ran.stderr and "$RAG_API_KEY" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_bridge_to_unreachable_service_exits_saying_so() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    ran = _bridge(url, KEY)
    assert ran.returncode == 1 and f"cannot reach {url}" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8000", "http://h:8000/mcp"),
        ("http://h:8000/", "http://h:8000/mcp"),
        ("https://h/rag/mcp", "https://h/rag/mcp"),
        ("https://h/rag/", "https://h/rag/mcp"),
    ],
)
def test_endpoint_of_base_url_or_endpoint(given: str, expected: str) -> None:
    assert endpoint(given) == expected
