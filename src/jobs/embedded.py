"""Background ingestion in one process (the embedded store): big inputs are queued in
memory and embedded by one worker thread.

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

from src.errors import RagError
from src.jobs.runner import (
    Ingest,
    JobItem,
    JobProgress,
    Prepare,
    collection_of,
    queue_full,
    sizes,
)
from src.models import JobRecord, JobStatus
from src.store import LocalJobs

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted by a restart before it finished; upload the missing documents again"


@dataclass
class _Job:
    id: str
    documents: list[JobItem]


class EmbeddedJobRunner:
    def __init__(
        self,
        jobs: LocalJobs,
        ingest: Ingest,
        prepare: Prepare,
        max_queued: int,
        standby: bool = False,
    ) -> None:
        """`standby`: another process still runs its jobs from the same store: they are
        failed at take_over(), not now."""
        self._jobs = jobs
        self._ingest = ingest
        self._prepare = prepare
        self._max_queued = max_queued
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._unrecorded: dict[str, str] = {}
        self._submitting = threading.Lock()
        self._own: set[str] = set()  # the jobs this process was given
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        if not standby:
            self._jobs.fail_unfinished_jobs(INTERRUPTED)
        self._thread.start()

    def take_over(self) -> None:
        with self._submitting:
            failed = self._jobs.fail_unfinished_jobs(INTERRUPTED, keep=self._own)
        if failed:
            log.warning("%d jobs of the stopped process marked failed", failed)

    def submit(self, documents: list[JobItem]) -> JobRecord:
        # Each queued job holds its parsed text in memory: the queue is bounded (checked and
        # filled under one lock, so two uploads at once cannot both take the last place).
        with self._submitting:
            if self._queue.qsize() >= self._max_queued:
                raise queue_full(self._max_queued)
            chunks, pages = sizes(documents)
            job = self._jobs.create_job(chunks, collection_of(documents), pages)
            self._own.add(job.id)
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
            self._jobs.update_job(job_id, status=JobStatus.FAILED, error=reason)
        except RagError as exc:  # e.g. the disk is still full: keep the verdict in memory
            log.error(
                "job %s failed (%s) and the store cannot record it: %s", job_id, reason, exc.message
            )
            self._unrecorded[job_id] = reason

    def get(self, job_id: str) -> JobRecord:
        """The job as stored, or failed with its reason if the store could not record that."""
        job = self._jobs.get_job(job_id)
        reason = self._unrecorded.get(job_id)
        if reason is None or job.status is JobStatus.FAILED:
            return job
        return dataclasses.replace(job, status=JobStatus.FAILED, error=reason)

    def _run(self, job: _Job) -> None:
        self._jobs.update_job(job.id, status=JobStatus.RUNNING)
        progress = JobProgress(self._jobs, job.id, self._ingest, self._prepare)
        done = progress.run(job.documents, [])
        self._jobs.update_job(job.id, status=JobStatus.SUCCEEDED, embedded_chunks=done)
