"""Helpers the tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import threading
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


class Poller:
    """Polls `url` from a thread, as a client would during a deploy: records every failure and
    the longest stretch without a good answer."""

    def __init__(self, url: str, interval: float = 0.1) -> None:
        self.url, self.interval = url, interval
        self.failures: list[str] = []
        self.answers = 0
        self.longest_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last_good = time.monotonic()
        while not self._stop.is_set():
            try:
                status = httpx.get(self.url, timeout=2).status_code
                ok = status == 200
                if not ok:
                    self.failures.append(str(status))
            except httpx.HTTPError as exc:
                ok = False
                self.failures.append(type(exc).__name__)
            now = time.monotonic()
            if ok:
                self.answers += 1
                last_good = now
            self.longest_gap = max(self.longest_gap, now - last_good)
            time.sleep(self.interval)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
