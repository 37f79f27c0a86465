"""The official MCP Python client, driven synchronously for tests: one connection per call
(the service is stateless), over streamable HTTP or through the stdio bridge."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from helpers import run_async
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult, Tool

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
# "legacy": the initialize handshake desktop clients use; "auto": the newer discovery.
MODES = ("legacy", "auto")


def python_bridge(url: str) -> tuple[str, ...]:
    """The stdio bridge from this checkout, as a desktop client would launch it."""
    return (sys.executable, "-m", "src.mcp_stdio", "--url", url)


@dataclass(frozen=True)
class McpTarget:
    """How to reach the service's MCP tools: its HTTP endpoint, or the bridge to it."""

    url: str
    key: str = ""
    mode: str = "legacy"
    # A command that bridges stdio to the service (the key in $RAG_API_KEY); () for none.
    bridge: tuple[str, ...] = ()

    def _client(self) -> Client:
        if self.bridge:
            return Client(self._bridge_command(), mode=self.mode)  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else None
        http = create_mcp_http_client(headers=headers)
        transport = streamable_http_client(f"{self.url}/mcp", http_client=http)
        return Client(transport, mode=self.mode)  # type: ignore[arg-type]

    def _bridge_command(self) -> StdioServerParameters:
        env = {**os.environ, "RAG_API_KEY": self.key}
        command, *args = self.bridge
        return StdioServerParameters(command=command, args=args, env=env, cwd=ROOT)

    def _run(self, work: Callable[[Client], Awaitable[T]]) -> T:
        async def session() -> T:
            async with self._client() as client:
                return await work(client)

        return run_async(session())

    def tools(self) -> list[Tool]:
        async def work(client: Client) -> list[Tool]:
            return list((await client.list_tools()).tools)

        return self._run(work)

    def call(self, name: str, **arguments: Any) -> CallToolResult:
        async def work(client: Client) -> CallToolResult:
            return await client.call_tool(name, arguments)

        return self._run(work)

    def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A call that must succeed: its structured result."""
        result = self.call(name, **arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    def error(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A call that must fail: the HTTP API's error body its text carries."""
        result = self.call(name, **arguments)
        assert result.is_error, result.structured_content
        text = result.content[0]
        assert text.type == "text"
        body: dict[str, Any] = json.loads(text.text)
        return body
