"""Helpers the tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def ingest_text(http: httpx.Client, text: str, title: str = "", **metadata: Any) -> dict[str, Any]:
    response = http.post("/v1/documents", json={"text": text, "title": title, "metadata": metadata})
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()["documents"][0]
    return document


def sse_events(body: str) -> list[tuple[str, Any]]:
    events = []
    for block in body.strip().split("\n\n"):
        event, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        events.append((event, data if data == "[DONE]" else json.loads(data)))
    return events
