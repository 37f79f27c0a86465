"""Helpers the tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from src.models import Hit

T = TypeVar("T")
# What CI may be set to and still mean "not CI": the usual spellings of false.
NOT_CI = frozenset({"", "0", "false", "no", "off"})


def ci_mode() -> bool:
    """Whether this run is CI: CI set to anything but a spelling of false (CI=1, CI=true...)."""
    return os.environ.get("CI", "").strip().lower() not in NOT_CI


def require(condition: bool, reason: str) -> None:
    """Skip the test when `condition` is false; under CI fail instead, since there a missing
    tool or service is a broken machine, not an optional extra."""
    if condition:
        return
    if ci_mode():
        pytest.fail(f"CI={os.environ['CI']} but {reason}")
    pytest.skip(reason)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    poll(lambda: True if check() else None, timeout, what)


def poll(attempt: Callable[[], T | None], timeout: float, what: str) -> T:
    """`attempt`'s first answer that is not None, tried until `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (answer := attempt()) is not None:
            return answer
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


def parser_worker_pids(parent: int) -> set[int]:
    """The parser worker processes whose parent is `parent`, from /proc."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"src.parsing.worker" in cmdline:
            pids.add(int(proc.name))
    return pids


def store_problems(database: Path, dimension: int = 384) -> list[str]:
    """What SQLite's integrity check finds, and every document that lacks any of its chunks
    (positions 0..n-1) or a collection, every chunk without a document or a whole embedding."""
    with sqlite3.connect(database) as conn:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        for rowid, document_id, chunk_count in conn.execute(
            "SELECT rowid, id, chunk_count FROM documents"
        ).fetchall():
            positions = conn.execute(
                "SELECT position FROM chunks WHERE doc_rowid = ? ORDER BY position", (rowid,)
            ).fetchall()
            if [p for (p,) in positions] != list(range(chunk_count)):
                problems.append(f"document {document_id} does not hold exactly its chunks")
        orphans = conn.execute(
            "SELECT count(*) FROM chunks WHERE doc_rowid NOT IN (SELECT rowid FROM documents)"
        ).fetchone()[0]
        bad_vectors = conn.execute(
            "SELECT count(*) FROM chunks WHERE length(embedding) != ?", (dimension * 4,)
        ).fetchone()[0]
        homeless = conn.execute(
            "SELECT count(*) FROM documents WHERE collection_id NOT IN (SELECT id FROM collections)"
        ).fetchone()[0]
    problems += [f"{homeless} documents outside any collection"] * bool(homeless)
    problems += [f"{orphans} chunks without a document"] * bool(orphans)
    problems += [f"{bad_vectors} chunks without a whole embedding"] * bool(bad_vectors)
    return problems


class LoopThread:
    """An event loop on a thread of its own, for tests that drive coroutines: it runs them
    whatever the main thread holds (Playwright's sync API keeps a loop running there for the
    rest of the session once a browser test ran), and one loop serves a whole test, as in
    production (an HTTP client's connections belong to the loop that opened them)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def __call__(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a loop of its own thread (see LoopThread)."""
    loop = LoopThread()
    try:
        return loop(coroutine)
    finally:
        loop.close()


def hit(n: int, text: str, title: str = "") -> Hit:
    """A retrieved passage numbered `n` (its document `doc-n`), as answers are built from."""
    return Hit(n, f"doc-{n}", title or f"title {n}", 0, text, 0, len(text), 1.0 / n)


def hits(*texts: str) -> list[Hit]:
    return [hit(n, text) for n, text in enumerate(texts, start=1)]


def upload_files(
    http: httpx.Client, files: Any, timeout: float = 180, **params: Any
) -> list[dict[str, Any]]:
    """POST files to /v1/documents; if they became a background job (scans OCR must read
    first, or a big upload), wait for it: the stored documents either way."""
    response = http.post("/v1/documents", files=files, **params)
    assert response.status_code in (200, 201, 202), response.text
    if response.status_code != 202:
        stored: list[dict[str, Any]] = response.json()["documents"]
        return stored
    job = finished_job(http, response.json()["status_url"], timeout)
    assert job["status"] == "succeeded", job
    return [http.get(f"/v1/documents/{d['id']}").json() for d in job["documents"]]


def finished_job(http: httpx.Client, job_url: str, timeout: float = 180) -> dict[str, Any]:
    """The job once it succeeded or failed."""

    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = http.get(job_url).json()
        return job if job["status"] in ("succeeded", "failed") else None

    return poll(done, timeout, "the ingest job")
