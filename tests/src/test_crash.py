"""kill -9 in the middle of ingestion: every document is whole or absent, nothing else lost."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from conftest import Service
from helpers import ingest_text, store_problems, wait_until

FILES = 8


def _document_text(n: int) -> str:
    return "\n\n".join(
        f"File {n} section {s} {uuid.uuid4().hex}. " + "Harbour cranes lift "
        "containers onto ships at dawn. " * 18
        for s in range(40)
    )


def _assert_consistent(database: Path) -> dict[str, int]:
    """Every stored document has exactly its chunks, embeddings and BM25 entries."""
    assert store_problems(database) == []
    with sqlite3.connect(database) as conn:
        documents = conn.execute("SELECT id, chunk_count FROM documents").fetchall()
    return dict(documents)


def test_kill_during_ingestion_leaves_whole_documents_only(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    service = services(storage_dir=storage)
    with service.client() as http:
        before = ingest_text(http, "A document stored well before the crash.")
        files = [
            ("files", (f"doc{n}.txt", _document_text(n).encode(), "text/plain"))
            for n in range(FILES)
        ]
        job_url = http.post("/v1/documents", files=files, params={"background": "true"}).json()[
            "status_url"
        ]
        total = http.get(job_url).json()["total_chunks"]
        # Past a third of the chunks at least two files are committed, and most are not.
        wait_until(
            lambda: http.get(job_url).json()["embedded_chunks"] > total / 3,
            120,
            "a third of the job",
        )
        assert http.get(job_url).json()["status"] == "running"
    service.kill()

    stored = _assert_consistent(storage / "rag.sqlite3")
    assert before["id"] in stored
    assert 2 <= len(stored) - 1 < FILES

    restarted = services(storage_dir=storage)
    with restarted.client() as http:
        job = http.get(job_url).json()
        assert job["status"] == "failed" and "interrupted" in job["error"]
        listed = http.get("/v1/documents", params={"limit": 100}).json()
        assert {d["id"] for d in listed["items"]} == set(stored)
        redo = http.post("/v1/documents", files=files, params={"background": "false"}).json()
        assert sum(d["duplicate"] for d in redo["documents"]) == len(stored) - 1
        hits = http.post(
            "/v1/retrieve", json={"query": "harbour cranes containers", "top_k": 5}
        ).json()["results"]
        assert hits
    assert len(_assert_consistent(storage / "rag.sqlite3")) == FILES + 1
