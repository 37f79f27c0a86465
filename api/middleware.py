"""Pure ASGI middleware: request metrics, and the upload size limit enforced while reading."""

from __future__ import annotations

import contextlib
import json
import re
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from src.telemetry import REGISTRY

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


class _BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """413 for bodies over the limit: at once when Content-Length says so, otherwise as
    soon as the bytes read pass it (chunked uploads), before anything is stored."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        read = 0
        over = started = False

        async def counted_receive() -> Message:
            nonlocal read, over
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.max_bytes:
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
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        limit_mb = self.max_bytes / (1024 * 1024)
        body = json.dumps(
            error_body(
                "payload_too_large",
                f"the request body is larger than the {limit_mb:.3g} MB limit",
                "split the upload into smaller files or raise RAG_MAX_UPLOAD_MB",
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
