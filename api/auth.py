"""API keys: checked in ASGI middleware, before any body is read or parsed, so a caller
without a key learns nothing (not even whether its JSON was valid); kept out of logs."""

from __future__ import annotations

import hmac
import logging
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body
from api.middleware import send_error

UNAUTHORIZED = "missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key'"
PROTECTED_PREFIX = "/v1"
# Query parameters that may carry a secret: never written to a log as sent.
_SECRET_PARAM = re.compile(r"([?&](?:api[_-]?key|key|token|access_token)=)[^&#\s]*", re.I)


def presented_key(headers: Headers) -> str:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key", "").strip()


def key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    # Compare against every key, always, so timing says nothing about which one nearly matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    return matched


def is_protected(path: str) -> bool:
    return path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


class ApiKeyAuth:
    """401 for a /v1 request without a valid key, when keys are configured."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.keys
            or not is_protected(scope["path"])
            or key_matches(presented_key(Headers(scope=scope)), self.keys)
        ):
            await self.app(scope, receive, send)
            return
        body = error_body("unauthorized", UNAUTHORIZED)
        await send_error(send, 401, body, {"WWW-Authenticate": "Bearer"})


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
