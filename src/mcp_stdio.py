"""`python -m src.mcp_stdio --url URL [--key-env NAME]`: the service's MCP tools over stdio.

Desktop clients (Claude Desktop, Cursor) launch a command and speak MCP on its stdin and
stdout. This bridge is that command: it serves over stdio what a running rag-api serves at
`/mcp`, forwarding each tool listing and call, so the tools, their schemas, the key's scope
and the errors are the service's own. The key is read from an environment variable, never
from an argument, so it stays out of process listings and client configuration files'
argument lists.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequestParams, CallToolResult, ListToolsResult, PaginatedRequestParams

DEFAULT_KEY_ENV = "RAG_API_KEY"
MCP_PATH = "/mcp"
JSONRPC_UNAUTHORIZED = -32001  # what the service answers a missing or wrong key with


@dataclass(frozen=True)
class BridgeOptions:
    url: str
    key: str
    key_env: str


class BridgeError(Exception):
    """The bridge cannot serve: the message says why, for the client's log."""


def endpoint(url: str) -> str:
    """The MCP endpoint of a service given by its base URL (or by the endpoint itself)."""
    base = url.rstrip("/")
    return base if base.endswith(MCP_PATH) else base + MCP_PATH


def _server(remote: Client) -> Server[Any]:
    async def list_tools(_: Any, params: PaginatedRequestParams | None) -> ListToolsResult:
        return await remote.list_tools(cursor=params.cursor if params else None)

    async def call_tool(_: Any, params: CallToolRequestParams) -> CallToolResult:
        return await remote.call_tool(params.name, params.arguments)

    info = remote.server_info
    return Server(
        info.name if info else "rag-api",
        version=info.version if info else "",
        instructions=remote.instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve(options: BridgeOptions) -> None:
    headers = {"Authorization": f"Bearer {options.key}"} if options.key else None
    http = create_mcp_http_client(headers=headers)
    try:
        async with Client(
            streamable_http_client(endpoint(options.url), http_client=http)
        ) as remote:
            server = _server(remote)
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())
    except (httpx2.HTTPError, MCPError, ExceptionGroup) as exc:
        raise BridgeError(_why(_first(exc), options)) from exc


def _first(exc: BaseException) -> BaseException:
    """The first failure inside the task groups' exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _why(exc: BaseException, options: BridgeOptions) -> str:
    if isinstance(exc, MCPError) and exc.code == JSONRPC_UNAUTHORIZED:
        return f"{options.url}: {exc.message}; the key is read from ${options.key_env}"
    if isinstance(exc, MCPError):
        return f"{options.url}: {exc.message}"
    return f"cannot reach {options.url}: {exc or type(exc).__name__}"


def parse(argv: Sequence[str]) -> BridgeOptions:
    parser = argparse.ArgumentParser(prog="python -m src.mcp_stdio", description=__doc__)
    parser.add_argument("--url", required=True, help="the service, e.g. http://localhost:8000")
    parser.add_argument(
        "--key-env",
        default=DEFAULT_KEY_ENV,
        help=f"the environment variable holding the API key (default {DEFAULT_KEY_ENV})",
    )
    args = parser.parse_args(argv)
    key = os.environ.get(args.key_env, "").strip()
    return BridgeOptions(url=args.url, key=key, key_env=args.key_env)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    try:
        anyio.run(serve, options)
    except BridgeError as exc:
        print(f"rag-api MCP bridge: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
