"""Domain errors to HTTP answers, all in one shape: {"error": {"type", "message", "hint"}}.

The shape is OpenAI's, so OpenAI clients show our messages as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from src.errors import (
    BusyError,
    ConflictError,
    EmbeddingError,
    EmbeddingTimeoutError,
    FetchError,
    FetchTimeoutError,
    ForbiddenError,
    InvalidInputError,
    LimitExceededError,
    LLMError,
    LLMTimeoutError,
    NotFoundError,
    NotReadyError,
    RagError,
    RefusedUrlError,
    StorageFullError,
    StoreError,
    StoreUnavailableError,
    UnsupportedTypeError,
)

# Most specific first: LLMTimeoutError is an LLMError (EmbeddingTimeoutError likewise),
# StorageFullError and StoreUnavailableError are StoreErrors.
STATUS_BY_ERROR: tuple[tuple[type[RagError], int, str], ...] = (
    (LimitExceededError, 422, "limit_exceeded"),
    (RefusedUrlError, 422, "url_refused"),
    (InvalidInputError, 422, "invalid_input"),
    (UnsupportedTypeError, 415, "unsupported_media_type"),
    (NotFoundError, 404, "not_found"),
    (ForbiddenError, 403, "forbidden"),
    (ConflictError, 409, "conflict"),
    (NotReadyError, 503, "not_ready"),
    (BusyError, 503, "busy"),
    (LLMTimeoutError, 504, "llm_timeout"),
    (LLMError, 502, "llm_error"),
    (EmbeddingTimeoutError, 504, "embedding_timeout"),
    (EmbeddingError, 502, "embedding_error"),
    (FetchTimeoutError, 504, "fetch_timeout"),
    (FetchError, 502, "fetch_failed"),
    (StorageFullError, 507, "storage_full"),
    (StoreUnavailableError, 503, "store_unavailable"),
    (StoreError, 500, "store_error"),
)


def error_body(kind: str, message: str, hint: str = "", **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if hint:
        error["hint"] = hint
    return {"error": {**error, **extra}}


def classify(exc: RagError) -> tuple[int, str]:
    for error_type, status_code, kind in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status_code, kind
    return 500, "error"


def rag_error_body(exc: RagError) -> dict[str, Any]:
    _, kind = classify(exc)
    return error_body(kind, exc.message, exc.hint)


def validation_body(errors: Sequence[Any], hint: str) -> dict[str, Any]:
    """Pydantic's errors, the first one named in the message: where, then what is wrong."""
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in errors]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    message = f"invalid request: {where}: {first['msg']}" if where else str(first["msg"])
    return error_body("invalid_request", message, hint, details=details)


async def _rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status_code, _ = classify(exc)
    return JSONResponse(rag_error_body(exc), status_code=status_code)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body = validation_body(exc.errors(), "check the request against /docs")
    return JSONResponse(body, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's "error parsing the body" (bodies that are not even JSON or multipart):
        # answered like every other malformed request.
        return JSONResponse(
            error_body("invalid_request", f"invalid request: body: {exc.detail}"),
            status_code=422,
        )
    return JSONResponse(
        error_body("http_error", str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Mapped errors; anything unmapped becomes a 500 in `api.middleware.UnexpectedErrors`."""
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
