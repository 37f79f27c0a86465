"""Background ingestion: big inputs are queued and embedded by one worker thread.

Progress (chunks embedded / total) is written to the store, so `GET /v1/jobs/{id}`
answers from any thread and still answers after a restart. A job cut short by a crash
is marked failed at the next start; its finished documents stay, unfinished ones are
absent (each document is stored in one transaction).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from src.errors import BusyError, RagError
from src.ingest import Ingestor, PreparedDocument
from src.models import IngestResult, JobRecord, JobStatus
from src.store import Store

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted by a restart before it finished; upload the missing documents again"
PROGRESS_EVERY_CHUNKS = 32


def queue_full(max_queued: int) -> BusyError:
    return BusyError(
        f"{max_queued} ingestion jobs are already queued",
        hint="retry when GET /v1/jobs/{id} shows earlier jobs finished, "
        "or raise RAG_MAX_QUEUED_JOBS",
    )


def job_result(result: IngestResult) -> dict[str, Any]:
    """What a job records of each document it stored (or found stored)."""
    document = result.document
    return {
        "id": document.id,
        "title": document.title,
        "chunk_count": document.chunk_count,
        "duplicate": result.duplicate,
    }


@dataclass
class _Job:
    id: str
    documents: list[PreparedDocument]


class JobRunner:
    def __init__(self, store: Store, ingestor: Ingestor, max_queued: int) -> None:
        self._store = store
        self._ingestor = ingestor
        self._max_queued = max_queued
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._unrecorded: dict[str, str] = {}
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        self._store.fail_unfinished_jobs(INTERRUPTED)
        self._thread.start()

    def submit(self, documents: list[PreparedDocument]) -> JobRecord:
        # Each queued job holds its parsed text in memory: the queue is bounded.
        if self._queue.qsize() >= self._max_queued:
            raise queue_full(self._max_queued)
        job = self._store.create_job(sum(len(d.chunks) for d in documents))
        self._queue.put(_Job(job.id, documents))
        return job

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            except RagError as exc:
                self._fail(job.id, exc.message)
            except Exception as exc:
                log.exception("ingest job %s failed", job.id)
                self._fail(job.id, f"internal error: {type(exc).__name__}")

    def _fail(self, job_id: str, reason: str) -> None:
        try:
            self._store.update_job(job_id, status=JobStatus.FAILED, error=reason)
        except RagError as exc:  # e.g. the disk is still full: keep the verdict in memory
            log.error(
                "job %s failed (%s) and the store cannot record it: %s", job_id, reason, exc.message
            )
            self._unrecorded[job_id] = reason

    def get(self, job_id: str) -> JobRecord:
        """The job as stored, or failed with its reason if the store could not record that."""
        job = self._store.get_job(job_id)
        reason = self._unrecorded.get(job_id)
        if reason is None or job.status is JobStatus.FAILED:
            return job
        return dataclasses.replace(job, status=JobStatus.FAILED, error=reason)

    def _run(self, job: _Job) -> None:
        self._store.update_job(job.id, status=JobStatus.RUNNING)
        done = 0
        reported = 0
        results: list[dict[str, object]] = []

        def progress(chunks: int) -> None:
            nonlocal done, reported
            done += chunks
            if done - reported >= PROGRESS_EVERY_CHUNKS:
                self._store.update_job(job.id, embedded_chunks=done)
                reported = done

        for document in job.documents:
            results.append(job_result(self._ingestor.ingest(document, progress)))
            self._store.update_job(job.id, embedded_chunks=done, documents=results)
        self._store.update_job(job.id, status=JobStatus.SUCCEEDED, embedded_chunks=done)
