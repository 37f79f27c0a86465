"""SharedJobRunner over the Postgres job queue (a pgvector container: tests/conftest.py's
`pg_url`): a submitted job completes, and runners sharing a database run each job once.
The payload's encoding is checked without a database."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

import pytest
from fake_ingest import FakeIngest, document, read_scan, scan
from helpers import poll

from src.ingest import with_source
from src.jobs.runner import PROGRESS_EVERY_CHUNKS
from src.jobs.shared import SharedJobRunner, decode, encode
from src.models import JobRecord, JobStatus
from src.store import Backend, SharedJobs, StoreOptions, open_store

TIMEOUT_S = 30
LEASE_S = 30


def test_decode_of_encode_gives_the_documents_back() -> None:
    documents = [document("a", 3), document("b", 1)]
    documents[0].source.metadata["year"] = 2024
    assert decode(encode(documents)) == documents


@pytest.fixture()
def backends(pg_url: str) -> Iterator[list[Backend]]:
    """Two connections to one database, as two replicas would have."""
    opened = [open_store(pg_url, StoreOptions(8, model="m", pool_size=4)) for _ in range(2)]
    yield opened
    for backend in opened:
        backend.close()


def _queue(backend: Backend) -> SharedJobs:
    assert backend.shared_jobs is not None
    return backend.shared_jobs


def _finished(queue: SharedJobs, job_id: str) -> JobRecord:
    def attempt() -> JobRecord | None:
        job = queue.get_job(job_id)
        return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None

    return poll(attempt, TIMEOUT_S, f"job {job_id} to finish")


def test_decode_of_encode_gives_scans_back_with_their_bytes() -> None:
    items = [scan("tides", 3), document("notes", 2)]
    assert decode(encode(items)) == items


def test_decode_of_encode_keeps_sources() -> None:
    items = [dataclasses.replace(scan("tides", 3), source="scans/tides.pdf"), document("n", 1)]
    items[1] = with_source(document("n", 1), "default", "notes/n.txt")
    decoded = decode(encode(items))
    assert decoded == items
    assert decoded[0].source == "scans/tides.pdf"


def test_submit_job_runs_to_succeeded(backends: list[Backend]) -> None:
    ingest = FakeIngest()
    runner = SharedJobRunner(_queue(backends[0]), ingest, read_scan, max_queued=4, lease_s=LEASE_S)
    try:
        queued = runner.submit([document("a", PROGRESS_EVERY_CHUNKS + 2), document("b", 1)])
        assert queued.status is JobStatus.QUEUED
        job = _finished(_queue(backends[0]), queued.id)
    finally:
        runner.stop()
    assert job.status is JobStatus.SUCCEEDED and job.error == ""
    assert job.embedded_chunks == job.total_chunks == PROGRESS_EVERY_CHUNKS + 3
    assert [(d["title"], d["chunk_count"]) for d in job.documents] == [
        ("a", PROGRESS_EVERY_CHUNKS + 2),
        ("b", 1),
    ]
    assert runner.get(queued.id) == job
    assert ingest.ingested == ["a", "b"]


def test_runners_on_one_database_run_each_job_once(backends: list[Backend]) -> None:
    names = [f"doc{n}" for n in range(8)]
    queue = _queue(backends[0])
    # Queued before either runner starts: both find work on their first claim.
    ids = [queue.create_job(1, encode([document(name, 1)]), "default").id for name in names]
    ingests = [FakeIngest(), FakeIngest()]
    runners = [
        SharedJobRunner(_queue(backend), ingest, read_scan, max_queued=16, lease_s=LEASE_S)
        for backend, ingest in zip(backends, ingests, strict=True)
    ]
    try:
        jobs = [_finished(queue, job_id) for job_id in ids]
    finally:
        for runner in runners:
            runner.stop()
    assert all(job.status is JobStatus.SUCCEEDED for job in jobs)
    runs = Counter(name for ingest in ingests for name in ingest.ingested)
    assert runs == Counter(names)  # every job's document ingested, none twice
