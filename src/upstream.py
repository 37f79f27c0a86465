"""One POST to a served model (embeddings, reranker), retried the same way for each: a 429, a
5xx or a dropped connection is tried again with exponential backoff (a Retry-After header is
honoured, within bounds); anything else is the caller's to judge."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from src.errors import RagError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_S = 0.5
MAX_RETRY_AFTER_S = 10.0
log = logging.getLogger("rag.upstream")


@dataclass(frozen=True)
class Upstream:
    """A served model as its errors name it: the error raised when it cannot be reached,
    the one when it does not answer in time, and what the user can do about each."""

    what: str  # "the embedding endpoint"
    unreachable: type[RagError]
    timed_out: type[RagError]
    unreachable_hint: str
    timeout_hint: str


def client(base_url: str, api_key: str, timeout_s: float) -> httpx.Client:
    """A client for `base_url` (e.g. https://api.openai.com/v1), the key as a bearer token."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
    )


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("retry-after", "")
    wait = float(header) if header.replace(".", "", 1).isdigit() else BACKOFF_S * 2**attempt
    return min(wait, MAX_RETRY_AFTER_S)


def post(
    client: httpx.Client, path: str, body: dict[str, Any], retries: int, upstream: Upstream
) -> httpx.Response:
    """The response to the first try that is not worth retrying, or to the last try."""
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            response = client.post(path, json=body)
        except httpx.TimeoutException as exc:
            if last:
                raise upstream.timed_out(
                    f"{upstream.what} did not answer in time", hint=upstream.timeout_hint
                ) from exc
            _wait(upstream, BACKOFF_S * 2**attempt, f"timeout: {exc}")
            continue
        except httpx.HTTPError as exc:
            if last:
                raise upstream.unreachable(
                    f"{upstream.what} could not be reached: {exc}", hint=upstream.unreachable_hint
                ) from exc
            _wait(upstream, BACKOFF_S * 2**attempt, f"{type(exc).__name__}: {exc}")
            continue
        if response.status_code in RETRY_STATUSES and not last:
            _wait(upstream, _retry_after(response, attempt), f"HTTP {response.status_code}")
            continue
        return response
    raise AssertionError("unreachable: the last attempt returns or raises")


def _wait(upstream: Upstream, seconds: float, reason: str) -> None:
    log.warning("%s failed (%s); retrying in %.1f s", upstream.what, reason, seconds)
    time.sleep(seconds)
