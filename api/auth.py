"""API keys: checked in ASGI middleware, before any body is read or parsed, so a caller
without a key learns nothing (not even whether its JSON was valid); kept out of logs.

A valid key's rights (src/access.py) ride along in the request's state for the routes. A
key from RAG_API_KEYS is an admin key; the others are the service's own (src/keys.py). With
no key configured anywhere, every request is let in as an admin, as before keys existed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from prometheus_client import Counter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import classify, error_body
from api.middleware import MCP_PATH, is_mcp, send_error
from src.access import CONFIGURED, OPEN, Access
from src.errors import RagError
from src.keys import KeyRing, matches_configured
from src.telemetry import REGISTRY

UNAUTHORIZED = "missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key'"
PROTECTED_PREFIX = "/v1"
# Query parameters that may carry a secret: never written to a log as sent.
_PARAM = re.compile(r"\{[^}/]+\}")
_SECRET_PARAM = re.compile(r"([?&](?:api[_-]?key|key|token|access_token)=)[^&#\s]*", re.I)
AUTH_FAILURES = Counter(
    "rag_auth_failures",
    "Requests refused for a missing or invalid API key, by route.",
    ["route"],
    registry=REGISTRY,
)


def presented_key(headers: Headers) -> str:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key", "").strip()


def is_protected(path: str) -> bool:
    return is_mcp(path) or path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


def _templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """Every documented path template, as a pattern that matches the paths it stands for."""
    paths = [*app.openapi().get("paths", {}), MCP_PATH]
    return [(re.compile("^" + _PARAM.sub("[^/]+", template) + "$"), template) for template in paths]


def requested_route(scope: Scope, templates: list[tuple[re.Pattern[str], str]]) -> str:
    """The template of the path a request is for (it is not routed yet): a bounded label."""
    for pattern, template in templates:
        if pattern.match(scope["path"]):
            return template
    return "unmatched"


def _key_ring(scope: Scope) -> KeyRing | None:
    """The service's keys, once it has loaded (until then only RAG_API_KEYS are known)."""
    holder = getattr(scope["app"].state, "holder", None)
    service = getattr(holder, "service", None)
    return service.keys if service is not None else None


async def _is_open(ring: KeyRing) -> bool:
    known = ring.open_known()
    return known if known is not None else await asyncio.to_thread(ring.is_open)


async def _verified(ring: KeyRing, presented: str) -> Access | None:
    return ring.cached(presented) or await asyncio.to_thread(ring.verify, presented)


class ApiKeyAuth:
    """401 for a /v1 request without a valid key (unless no key is configured anywhere);
    the rights of a valid one in `request.state.access`."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = keys
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            access, known = await self._access(scope)
        except RagError as exc:  # the store cannot be read: say so, let nothing through
            status_code, kind = classify(exc)
            await send_error(scope, send, status_code, error_body(kind, exc.message, exc.hint))
            return
        if access is None and known:
            if self._templates is None:
                self._templates = _templates(scope["app"])
            AUTH_FAILURES.labels(requested_route(scope, self._templates)).inc()
            body = error_body("unauthorized", UNAUTHORIZED)
            await send_error(scope, send, 401, body, {"WWW-Authenticate": "Bearer"})
            return
        if access is not None:
            scope.setdefault("state", {})["access"] = access
        await self.app(scope, receive, send)

    async def _access(self, scope: Scope) -> tuple[Access | None, bool]:
        """(rights, known): known False while the service loads and the key is not one of
        RAG_API_KEYS (the routes then answer 503, never 200)."""
        presented = presented_key(Headers(scope=scope))
        ring = _key_ring(scope)
        if ring is None:  # only RAG_API_KEYS are known yet
            if presented and matches_configured(presented, self.keys):
                return CONFIGURED, True
            return None, bool(self.keys) and not presented
        if presented and (access := await _verified(ring, presented)) is not None:
            return access, True
        return (OPEN if await _is_open(ring) else None), True


def redact_secrets(text: str) -> str:
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Masks key-like query parameters in access-log lines (uvicorn logs the full path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
