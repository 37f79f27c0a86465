"""JobProgress, the loop both runners share: progress written every PROGRESS_EVERY_CHUNKS,
each finished document's result, documents an earlier run finished skipped, and `check`
stopping the run."""

from __future__ import annotations

from typing import Any

import pytest
from fake_ingest import FakeIngest, document, read_scan, scan

from src.errors import BusyError
from src.jobs.runner import PROGRESS_EVERY_CHUNKS, JobProgress, job_result, queue_full
from src.models import JobRecord


class RecordingJobs:
    """A JobBook that keeps every update_job call."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update_job(self, job_id: str, **changes: Any) -> None:
        assert job_id == "job-1"
        self.updates.append({k: list(v) if k == "documents" else v for k, v in changes.items()})

    def get_job(self, job_id: str) -> JobRecord:
        raise NotImplementedError


class StoppedError(Exception):
    pass


def test_run_writes_progress_every_progress_every_chunks() -> None:
    jobs = RecordingJobs()
    chunks = 2 * PROGRESS_EVERY_CHUNKS + 5
    done = JobProgress(jobs, "job-1", FakeIngest(), read_scan).run([document("a", chunks)], [])
    assert done == chunks
    progress = [u["embedded_chunks"] for u in jobs.updates if "documents" not in u]
    assert progress == [PROGRESS_EVERY_CHUNKS, 2 * PROGRESS_EVERY_CHUNKS]
    assert jobs.updates[-1]["embedded_chunks"] == chunks


def test_run_writes_each_finished_document_result() -> None:
    jobs = RecordingJobs()
    results: list[dict[str, Any]] = []
    JobProgress(jobs, "job-1", FakeIngest(), read_scan).run(
        [document("a", 3), document("b", 4)], results
    )
    finished = [u for u in jobs.updates if "documents" in u]
    assert [u["embedded_chunks"] for u in finished] == [3, 7]
    assert [[d["title"] for d in u["documents"]] for u in finished] == [["a"], ["a", "b"]]
    assert [(r["title"], r["chunk_count"], r["duplicate"]) for r in results] == [
        ("a", 3, False),
        ("b", 4, False),
    ]


def test_run_with_earlier_results_skips_finished_documents() -> None:
    jobs = RecordingJobs()
    ingest = FakeIngest()
    documents = [document("a", 5), document("b", 7)]
    earlier = [job_result(ingest(documents[0], None))]
    ingest.ingested.clear()
    done = JobProgress(jobs, "job-1", ingest, read_scan).run(documents, earlier)
    assert ingest.ingested == ["b"]
    assert done == 12  # the finished document's chunks count as embedded
    assert jobs.updates[-1]["embedded_chunks"] == 12
    assert [d["title"] for d in jobs.updates[-1]["documents"]] == ["a", "b"]


def test_run_with_every_document_finished_ingests_nothing() -> None:
    jobs = RecordingJobs()
    ingest = FakeIngest()
    documents = [document("a", 5)]
    done = JobProgress(jobs, "job-1", ingest, read_scan).run(documents, [{"title": "a"}])
    assert (done, ingest.ingested, jobs.updates) == (5, [], [])


def test_run_when_check_raises_during_progress_stops_the_document() -> None:
    jobs = RecordingJobs()
    ingest = FakeIngest()
    counted = 0

    def check() -> None:
        nonlocal counted
        counted += 1
        if counted > 3:
            raise StoppedError

    with pytest.raises(StoppedError):
        JobProgress(jobs, "job-1", ingest, read_scan, check).run([document("a", 10)], [])
    assert ingest.ingested == [] and jobs.updates == []


def test_run_when_check_raises_after_a_document_records_no_result() -> None:
    jobs = RecordingJobs()
    stopped = False

    def stop_after_a(prepared: Any) -> None:
        nonlocal stopped
        stopped = prepared.source.title == "b"

    def check() -> None:
        if stopped:
            raise StoppedError

    ingest = FakeIngest(before=stop_after_a)
    results: list[dict[str, Any]] = []
    with pytest.raises(StoppedError):
        JobProgress(jobs, "job-1", ingest, read_scan, check).run(
            [document("a", 2), document("b", 2)], results
        )
    assert [r["title"] for r in results] == ["a"]
    assert [[d["title"] for d in u["documents"]] for u in jobs.updates if "documents" in u] == [
        ["a"]
    ]


def test_run_reads_scans_first_and_writes_each_page_read() -> None:
    jobs = RecordingJobs()
    ingest = FakeIngest()
    done = JobProgress(jobs, "job-1", ingest, read_scan).run([document("a", 2), scan("b", 3)], [])
    assert (done, ingest.ingested) == (5, ["a", "b"])
    pages = [u["pages_read"] for u in jobs.updates if "pages_read" in u]
    assert pages == [1, 2, 3, 3]
    assert {"total_chunks": 5, "pages_read": 3} in jobs.updates


def test_run_with_a_finished_scan_counts_its_pages_and_chunks() -> None:
    jobs = RecordingJobs()
    ingest = FakeIngest()
    earlier = [job_result(ingest(read_scan(scan("a", 4), lambda read, of: None), None))]
    ingest.ingested.clear()
    done = JobProgress(jobs, "job-1", ingest, read_scan).run([scan("a", 4), scan("b", 1)], earlier)
    assert (done, ingest.ingested) == (5, ["b"])
    assert {"total_chunks": 1, "pages_read": 5} in jobs.updates


def test_queue_full_is_busy_and_names_the_bound() -> None:
    error = queue_full(3)
    assert isinstance(error, BusyError)
    assert "3 ingestion jobs" in error.message and "RAG_MAX_QUEUED_JOBS" in error.hint
