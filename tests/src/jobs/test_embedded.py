"""EmbeddedJobRunner over the embedded store's job records (SQLiteJobs) with a scripted
ingest: jobs run to success with progress, failures are recorded, the queue is bounded,
and jobs a crash cut short are failed at the next start."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_ingest import FakeIngest, document, read_scan
from helpers import poll, wait_until

from src.errors import BusyError, RagError, StoreError
from src.ingest import PreparedDocument
from src.jobs.embedded import INTERRUPTED, EmbeddedJobRunner
from src.jobs.runner import PROGRESS_EVERY_CHUNKS
from src.models import JobRecord, JobStatus
from src.store import LocalJobs, StoreOptions, open_store

TIMEOUT_S = 20
MakeRunner = Callable[..., EmbeddedJobRunner]


@pytest.fixture()
def jobs(tmp_path: Path) -> Iterator[LocalJobs]:
    backend = open_store(tmp_path, StoreOptions(8, model="m"))
    assert backend.local_jobs is not None
    yield backend.local_jobs
    backend.close()


@pytest.fixture()
def make_runner(jobs: LocalJobs) -> Iterator[MakeRunner]:
    """make_runner(ingest, max_queued=4, book=jobs); every runner is stopped at the end."""
    runners: list[EmbeddedJobRunner] = []

    def make(
        ingest: FakeIngest, max_queued: int = 4, book: LocalJobs | None = None
    ) -> EmbeddedJobRunner:
        runner = EmbeddedJobRunner(book or jobs, ingest, read_scan, max_queued)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.stop()


def _finished(runner: EmbeddedJobRunner, job_id: str) -> JobRecord:
    def attempt() -> JobRecord | None:
        job = runner.get(job_id)
        return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None

    return poll(attempt, TIMEOUT_S, f"job {job_id} to finish")


def test_submit_job_runs_to_succeeded_with_progress_and_results(make_runner: MakeRunner) -> None:
    ingest = FakeIngest()
    runner = make_runner(ingest)
    documents = [document("a", PROGRESS_EVERY_CHUNKS + 8), document("b", 3)]
    queued = runner.submit(documents)
    assert (queued.status, queued.total_chunks, queued.embedded_chunks) == (
        JobStatus.QUEUED,
        PROGRESS_EVERY_CHUNKS + 11,
        0,
    )
    job = _finished(runner, queued.id)
    assert job.status is JobStatus.SUCCEEDED and job.error == ""
    assert job.embedded_chunks == job.total_chunks == PROGRESS_EVERY_CHUNKS + 11
    assert [(d["title"], d["chunk_count"], d["duplicate"]) for d in job.documents] == [
        ("a", PROGRESS_EVERY_CHUNKS + 8, False),
        ("b", 3, False),
    ]
    assert ingest.ingested == ["a", "b"]


def test_submit_job_progress_is_readable_while_it_runs(make_runner: MakeRunner) -> None:
    release = threading.Event()

    def block_b(prepared: PreparedDocument) -> None:
        if prepared.source.title == "b":
            release.wait(TIMEOUT_S)

    runner = make_runner(FakeIngest(before=block_b))
    job_id = runner.submit([document("a", PROGRESS_EVERY_CHUNKS + 1), document("b", 2)]).id
    try:
        running = poll(
            lambda: job if (job := runner.get(job_id)).documents else None,
            TIMEOUT_S,
            "the first document's result",
        )
        assert running.status is JobStatus.RUNNING
        assert running.embedded_chunks == PROGRESS_EVERY_CHUNKS + 1
        assert [d["title"] for d in running.documents] == ["a"]
    finally:
        release.set()
    assert _finished(runner, job_id).status is JobStatus.SUCCEEDED


def test_submit_jobs_run_in_order(make_runner: MakeRunner) -> None:
    ingest = FakeIngest()
    runner = make_runner(ingest)
    ids = [runner.submit([document(name, 2)]).id for name in ("a", "b", "c")]
    assert all(_finished(runner, job_id).status is JobStatus.SUCCEEDED for job_id in ids)
    assert ingest.ingested == ["a", "b", "c"]


def test_submit_job_whose_ingest_raises_rag_error_fails_with_its_message(
    make_runner: MakeRunner,
) -> None:
    def refuse(prepared: PreparedDocument) -> None:
        if prepared.source.title == "b":
            raise RagError("the store's disk is full")

    runner = make_runner(FakeIngest(before=refuse))
    job = _finished(runner, runner.submit([document("a", 2), document("b", 2)]).id)
    assert (job.status, job.error) == (JobStatus.FAILED, "the store's disk is full")
    assert [d["title"] for d in job.documents] == ["a"]  # what was stored before stays


def test_submit_job_whose_ingest_crashes_fails_as_internal_error(make_runner: MakeRunner) -> None:
    def crash(prepared: PreparedDocument) -> None:
        raise ValueError("secret detail")

    runner = make_runner(FakeIngest(before=crash))
    job = _finished(runner, runner.submit([document("a", 2)]).id)
    assert (job.status, job.error) == (JobStatus.FAILED, "internal error: ValueError")


def test_runner_keeps_working_after_a_failed_job(make_runner: MakeRunner) -> None:
    def crash_a(prepared: PreparedDocument) -> None:
        if prepared.source.title == "a":
            raise ValueError

    runner = make_runner(FakeIngest(before=crash_a))
    failed = runner.submit([document("a", 1)]).id
    succeeded = runner.submit([document("b", 1)]).id
    assert _finished(runner, failed).status is JobStatus.FAILED
    assert _finished(runner, succeeded).status is JobStatus.SUCCEEDED


def test_submit_past_max_queued_is_busy(make_runner: MakeRunner) -> None:
    release = threading.Event()
    runner = make_runner(FakeIngest(before=lambda _: release.wait(TIMEOUT_S)), max_queued=1)
    try:
        running = runner.submit([document("a", 1)]).id
        wait_until(lambda: runner.get(running).status is JobStatus.RUNNING, TIMEOUT_S, "running")
        queued = runner.submit([document("b", 1)]).id  # the one place in the queue
        with pytest.raises(BusyError, match="1 ingestion jobs"):
            runner.submit([document("c", 1)])
    finally:
        release.set()
    assert _finished(runner, running).status is JobStatus.SUCCEEDED
    assert _finished(runner, queued).status is JobStatus.SUCCEEDED
    # The queue drained: there is room again.
    assert _finished(runner, runner.submit([document("d", 1)]).id).status is JobStatus.SUCCEEDED


def test_start_fails_jobs_left_unfinished_as_interrupted(
    jobs: LocalJobs, make_runner: MakeRunner
) -> None:
    queued = jobs.create_job(3, "default")
    running = jobs.create_job(5, "default")
    jobs.update_job(running.id, status=JobStatus.RUNNING, embedded_chunks=2)
    done = jobs.create_job(1, "default")
    jobs.update_job(done.id, status=JobStatus.SUCCEEDED, embedded_chunks=1)
    runner = make_runner(FakeIngest())
    for job_id in (queued.id, running.id):
        job = runner.get(job_id)
        assert (job.status, job.error) == (JobStatus.FAILED, INTERRUPTED)
    assert runner.get(running.id).embedded_chunks == 2
    assert runner.get(done.id).status is JobStatus.SUCCEEDED


class FailureUnrecorded:
    """Job records whose store cannot record a failure (its disk is full, say)."""

    def __init__(self, jobs: LocalJobs) -> None:
        self._jobs = jobs

    def create_job(self, total_chunks: int, collection: str, pages: int = 0) -> JobRecord:
        return self._jobs.create_job(total_chunks, collection, pages)

    def update_job(self, job_id: str, **changes: Any) -> None:
        if changes.get("status") is JobStatus.FAILED:
            raise StoreError("the disk is full")
        self._jobs.update_job(job_id, **changes)

    def get_job(self, job_id: str) -> JobRecord:
        return self._jobs.get_job(job_id)

    def fail_unfinished_jobs(self, reason: str) -> int:
        return self._jobs.fail_unfinished_jobs(reason)


def test_get_job_whose_failure_was_not_recorded_is_failed(
    jobs: LocalJobs, make_runner: MakeRunner
) -> None:
    def refuse(prepared: PreparedDocument) -> None:
        raise RagError("cannot embed")

    runner = make_runner(FakeIngest(before=refuse), book=FailureUnrecorded(jobs))
    job = _finished(runner, runner.submit([document("a", 1)]).id)
    assert (job.status, job.error) == (JobStatus.FAILED, "cannot embed")
    assert jobs.get_job(job.id).status is JobStatus.RUNNING  # as the store still has it
