"""Background ingestion: big inputs are queued and embedded by one worker thread.

Progress (chunks embedded / total) is written to the store, so `GET /v1/jobs/{id}`
answers from any thread and still answers after a restart. A job cut short by a crash
is marked failed at the next start; its finished documents stay, unfinished ones are
absent (each document is stored in one transaction).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from src.errors import RagError
from src.ingest import Ingestor, PreparedDocument
from src.models import JobRecord, JobStatus
from src.store import Store

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted by a restart before it finished; upload the missing documents again"
PROGRESS_EVERY_CHUNKS = 32


@dataclass
class _Job:
    id: str
    documents: list[PreparedDocument]


class JobRunner:
    def __init__(self, store: Store, ingestor: Ingestor) -> None:
        self._store = store
        self._ingestor = ingestor
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        self._store.fail_unfinished_jobs(INTERRUPTED)
        self._thread.start()

    def submit(self, documents: list[PreparedDocument]) -> JobRecord:
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
                self._store.update_job(job.id, status=JobStatus.FAILED, error=exc.message)
            except Exception as exc:
                log.exception("ingest job %s failed", job.id)
                self._store.update_job(
                    job.id, status=JobStatus.FAILED, error=f"internal error: {type(exc).__name__}"
                )

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
            result = self._ingestor.ingest(document, progress)
            results.append(
                {
                    "id": result.document.id,
                    "title": result.document.title,
                    "chunk_count": result.document.chunk_count,
                    "duplicate": result.duplicate,
                }
            )
            self._store.update_job(job.id, embedded_chunks=done, documents=results)
        self._store.update_job(job.id, status=JobStatus.SUCCEEDED, embedded_chunks=done)
