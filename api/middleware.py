"""Pure ASGI middleware: request metrics, body size limits enforced while reading, and the
one place an unexpected exception becomes a 500 (logged once, with its traceback)."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from src.telemetry import REGISTRY

log = logging.getLogger("rag_api")

REQUESTS = Counter(
    "rag_http_requests",
    "HTTP requests by route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "rag_http_request_seconds",
    "HTTP request latency by route.",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
MCP_PATH = "/mcp"  # the MCP endpoint (api/mcp.py), behind the same keys as /v1
# JSON-RPC's range for implementation-defined server errors; the first is what MCP servers
# commonly answer an unauthorised request with.
JSONRPC_UNAUTHORIZED = -32001
JSONRPC_SERVER_ERROR = -32000


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix ("/v1/documents/{document_id}"):
    labels by template, not by raw path, keep the metric's label count bounded."""
    template = getattr(scope.get("route"), "path", None)
    if template is None:
        return "unmatched"
    params = scope.get("path_params", {})
    # Routers may store the template without their prefix; recover it from the real path.
    filled = _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)
    path: str = scope["path"]
    prefix = path[: -len(filled)] if filled and path.endswith(filled) else ""
    return prefix + str(template)


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def is_mcp(path: str) -> bool:
    return path.rstrip("/") == MCP_PATH


def jsonrpc_error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An HTTP error as a JSON-RPC error, which MCP clients show (a bare status they do not):
    the message and hint as the /v1 routes give them, the whole body in `data`."""
    error = body["error"]
    message = error["message"] + (f" ({error['hint']})" if error.get("hint") else "")
    code = JSONRPC_UNAUTHORIZED if status == 401 else JSONRPC_SERVER_ERROR
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message, "data": body}}


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    """A whole JSON error response, for middleware that answers before the app does."""
    if is_mcp(scope["path"]):
        body = jsonrpc_error(status, body)
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


class UnexpectedErrors:
    """A 500 in the error shape for any exception no handler mapped, logged here once.
    (Starlette's own last-resort handler would log it, and then uvicorn again.)"""

    def __init__(self, app: ASGIApp, debug: bool) -> None:
        self.app = app
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if self.debug:
                raise
            if not started:  # a streamed response already under way just ends
                body = error_body("internal_error", "internal error; see the service log")
                await send_error(scope, send, 500, body)


class _BodyTooLargeError(Exception):
    pass


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    shown: str  # the limit as its setting states it ("50 MB")
    hint: str  # what to do, naming the setting that raises it


class BodySizeLimit:
    """413 for bodies over the limit: at once when Content-Length says so, otherwise as
    soon as the bytes read pass it (chunked uploads), before anything is stored. Uploads
    (POST /v1/documents) have their own, larger limit; every other body the small one."""

    def __init__(self, app: ASGIApp, upload: BodyLimit, other: BodyLimit) -> None:
        self.app = app
        self.upload = upload
        self.other = other

    def _limit(self, scope: Scope) -> BodyLimit:
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/documents"
        return self.upload if is_upload else self.other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit.max_bytes:
            await self._reject(scope, send, limit)
            return
        read = 0
        over = started = False

        async def counted_receive() -> Message:
            nonlocal read, over
            message = await receive()
            read += len(message.get("body", b""))
            if read > limit.max_bytes:
                over = True
                raise _BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app made of the aborted read, the answer is 413
            started = True
            await send(message)

        with contextlib.suppress(_BodyTooLargeError):
            await self.app(scope, counted_receive, guarded_send)
        if over and not started:
            await self._reject(scope, send, limit)

    @staticmethod
    async def _reject(scope: Scope, send: Send, limit: BodyLimit) -> None:
        body = error_body(
            "payload_too_large",
            f"the request body is larger than the {limit.shown} limit",
            limit.hint,
        )
        await send_error(scope, send, 413, body)
