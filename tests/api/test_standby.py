"""Two service processes on one embedded store, as a zero-downtime deploy runs them: the
serving one, and the next version started beside it, which stands by (it serves, owning
nothing shared), catches up when told (SIGUSR2) and takes over when the other exits."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable

import httpx

from main import EXIT_STANDBY_REFUSED
from src.store.sqlite.migrations import LATEST_VERSION
from tests.conftest import Service
from tests.helpers import wait_until

WAIT_S = 60
MODES = ("dense", "keyword")


def _upload(service: Service, name: str, text: str) -> str:
    with service.client() as http:
        response = http.post("/v1/documents", files={"files": (name, text.encode())})
        assert response.status_code in (200, 201), response.text
        return str(response.json()["documents"][0]["id"])


def _found(service: Service, query: str, mode: str = "hybrid") -> set[str]:
    with service.client() as http:
        response = http.post("/v1/retrieve", json={"query": query, "top_k": 3, "mode": mode})
        assert response.status_code == 200, response.text
        return {hit["document_id"] for hit in response.json()["results"]}


def _standby(service: Service) -> bool:
    return bool(httpx.get(f"{service.url}/ready", timeout=5).json()["standby"])


def test_second_process_stands_by_catches_up_and_takes_over(
    services: Callable[..., Service],
) -> None:
    live = services()
    _upload(live, "keepers.txt", "The lighthouse keepers trimmed the lamp wicks at dusk.")
    standby = services(live.storage_dir, RAG_ANN_SAVE_SECONDS="1")
    assert _standby(standby) and not _standby(live)
    late = _upload(live, "steamers.txt", "Every passing steamer was logged by the keepers.")
    assert late not in _found(standby, "steamer logged", "dense")
    assert late in _found(live, "steamer logged", "keyword")  # committed to the shared index
    standby.process.send_signal(signal.SIGUSR2)

    def caught_up() -> bool:
        return all(late in _found(standby, "steamer logged", mode) for mode in MODES)

    wait_until(caught_up, WAIT_S, "the catch-up")
    assert _standby(standby)
    index = live.storage_dir / "rag.hnsw"
    live.stop()
    saved = index.stat().st_mtime_ns
    wait_until(lambda: not _standby(standby), WAIT_S, "the take-over")
    assert index.stat().st_mtime_ns != saved
    assert "took over the store" in standby.log()
    mine = _upload(standby, "fog.txt", "Fog signals sounded every minute in the strait.")
    assert mine in _found(standby, "fog signals", "keyword")


def test_second_process_on_a_store_it_cannot_share_exits_75(
    services: Callable[..., Service],
) -> None:
    live = services()
    database = live.storage_dir / "rag.sqlite3"
    with sqlite3.connect(database) as conn:  # as if the next version had a migration to run
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION - 1}")
    refused = services(live.storage_dir, wait_ready=False)
    assert refused.process.wait(WAIT_S) == EXIT_STANDBY_REFUSED
    assert f"cannot start beside the serving version: the store at {database}" in refused.log()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION - 1
