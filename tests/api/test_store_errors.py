"""The store's own failures: a full disk is a 507 that loses nothing and heals when space
returns; a real 500 is logged once; a full job queue is a 503."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Service
from helpers import ingest_text, store_problems, wait_until

MB = 1024 * 1024


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs of its own (root is needed to mount it, as in CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * MB)
                out.flush()
        except OSError:
            pass  # ENOSPC: the disk is full
    return filler


def test_full_disk_returns_507_keeps_stored_and_recovers(
    services: Callable[..., Service], small_disk: Path
) -> None:
    service = services(storage_dir=small_disk / "store")
    with service.client() as http:
        kept = ingest_text(http, "Stored before the disk fills up: otters hold hands.")
        filler = _fill(small_disk)
        text = " ".join(f"word{i} about otters and rivers" for i in range(4_000))
        refused = http.post("/v1/documents", json={"text": text}, params={"background": "false"})
        assert refused.status_code == 507, refused.text
        assert "disk is full: nothing was stored" in refused.json()["error"]["message"]
        job = http.post(
            "/v1/documents", json={"text": text + " job"}, params={"background": "true"}
        )
        if job.status_code == 202:  # the job record itself may fit; its document cannot
            status_url = job.json()["status_url"]
            wait_until(lambda: http.get(status_url).json()["status"] == "failed", 60, "the job")
            assert "disk is full" in http.get(status_url).json()["error"]
        else:
            assert job.status_code == 507
        assert http.get(f"/v1/documents/{kept['id']}").status_code == 200
        assert http.get("/v1/documents").json()["total"] == 1
        filler.unlink()
        recovered = http.post("/v1/documents", json={"text": text}, params={"background": "false"})
        assert recovered.status_code == 201
    assert store_problems(service.storage_dir / "rag.sqlite3") == []


def test_unexpected_error_is_500_logged_with_one_traceback(
    services: Callable[..., Service],
) -> None:
    service = services()
    with sqlite3.connect(service.storage_dir / "rag.sqlite3") as conn:
        conn.execute("DROP TABLE jobs")  # a store broken behind the service's back
    with service.client() as http:
        response = http.post("/v1/documents?background=true", json={"text": "a job"})
        assert response.status_code == 500
        assert response.json()["error"]["type"] == "internal_error"
        assert http.get("/health").status_code == 200
    assert service.log().count("Traceback (most recent call last)") == 1


def test_job_queue_over_limit_returns_503(services: Callable[..., Service]) -> None:
    service = services(RAG_MAX_QUEUED_JOBS="1")
    # Embedding ~600 chunks keeps the first job running while the next two arrive.
    text = " ".join(f"otters{i} float on their backs in kelp" for i in range(15_000))
    with service.client() as http:
        statuses = [
            http.post("/v1/documents?background=true", json={"text": f"{n} {text}"}).status_code
            for n in range(3)
        ]
        assert statuses == [202, 202, 503]
        busy = http.post("/v1/documents?background=true", json={"text": text + " 4"}).json()
        assert "already queued" in busy["error"]["message"]
        assert http.post("/v1/retrieve", json={"query": "otters"}).status_code == 200
