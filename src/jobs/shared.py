"""Background ingestion shared by replicas (the Postgres store): a job is queued in the
database with its parsed documents, and whichever replica claims it runs it (see
src/store/postgres/jobs.py for the claim and the lease). The same interface as
src/jobs/embedded.py's runner, which the embedded store uses.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import uuid
import zlib
from typing import Any

from src.errors import RagError
from src.ingest import PendingScan, PreparedDocument, Upload
from src.jobs.runner import (
    Ingest,
    JobItem,
    JobProgress,
    Prepare,
    collection_of,
    queue_full,
    sizes,
)
from src.models import ChunkRow, ClaimedJob, JobRecord, JobStatus, SourceDocument
from src.store import SharedJobs

log = logging.getLogger(__name__)
POLL_S = 1.0


class LeaseLostError(RagError):
    """Another replica took this job over (this one stalled past its lease)."""


def _encoded(item: JobItem) -> dict[str, Any]:
    if isinstance(item, PendingScan):
        upload = item.upload
        return {
            "scan": {
                "data": base64.b64encode(upload.data).decode(),
                "filename": upload.filename,
                "content_type": upload.content_type,
                "title": item.title,
                "metadata": item.metadata,
                "pages": item.pages,
                "collection": item.collection,
                "source": item.source,
            }
        }
    return {
        "source": item.source.__dict__,
        "chunks": [[c.position, c.text, c.start, c.end, c.place] for c in item.chunks],
        "prefix": item.prefix,
        "parts": list(item.parts),
    }


def _decoded(item: dict[str, Any]) -> JobItem:
    if "scan" in item:
        scan = item["scan"]
        upload = Upload(base64.b64decode(scan["data"]), scan["filename"], scan["content_type"])
        return PendingScan(
            upload,
            scan["title"],
            scan["metadata"],
            scan["pages"],
            scan["collection"],
            scan.get("source", ""),  # jobs queued before sources have none
        )
    return PreparedDocument(
        SourceDocument(**item["source"]),
        [ChunkRow(*chunk) for chunk in item["chunks"]],
        item["prefix"],
        tuple(item.get("parts", ())),  # jobs queued before sources have none
    )


def encode(documents: list[JobItem]) -> bytes:
    return zlib.compress(json.dumps([_encoded(d) for d in documents]).encode())


def decode(payload: bytes) -> list[JobItem]:
    return [_decoded(item) for item in json.loads(zlib.decompress(payload))]


class SharedJobRunner:
    def __init__(
        self, jobs: SharedJobs, ingest: Ingest, prepare: Prepare, max_queued: int, lease_s: float
    ) -> None:
        self._queue = jobs
        self._ingest = ingest
        self._prepare = prepare
        self._max_queued = max_queued
        self._lease_s = lease_s
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        self._thread.start()

    def submit(self, documents: list[JobItem]) -> JobRecord:
        # Queued jobs hold their parsed text in the database: the queue is bounded.
        if self._queue.queued() >= self._max_queued:
            raise queue_full(self._max_queued)
        chunks, pages = sizes(documents)
        job = self._queue.create_job(chunks, encode(documents), collection_of(documents), pages)
        self._wake.set()
        return job

    def get(self, job_id: str) -> JobRecord:
        return self._queue.get_job(job_id)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def take_over(self) -> None:
        """Nothing to do: a stopped replica's job returns to the queue when its lease ends."""

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._queue.claim(self._owner, self._lease_s)
            except RagError as exc:  # the database is away: try again later
                log.warning("cannot claim ingest jobs: %s", exc.message)
                claimed = None
            if claimed is None:
                self._wake.wait(POLL_S)
                self._wake.clear()
                continue
            self._run_leased(claimed)

    def _run_leased(self, job: ClaimedJob) -> None:
        lease = _Lease(self._queue, job.id, self._owner, self._lease_s)
        try:
            self._run(job, lease)
        except LeaseLostError:
            log.warning("ingest job %s was taken over by another replica", job.id)
            return
        except RagError as exc:
            self._finish(job.id, JobStatus.FAILED, exc.message)
        except Exception as exc:
            log.exception("ingest job %s failed", job.id)
            self._finish(job.id, JobStatus.FAILED, f"internal error: {type(exc).__name__}")
        else:
            self._finish(job.id, JobStatus.SUCCEEDED)
        finally:
            lease.stop()

    def _finish(self, job_id: str, status: JobStatus, error: str = "") -> None:
        try:
            self._queue.finish(job_id, self._owner, status, error)
        except RagError as exc:  # its lease lapses and another run records the outcome
            log.error(
                "job %s ended (%s) but the database could not record it: %s",
                job_id,
                status.value,
                exc.message,
            )

    def _run(self, job: ClaimedJob, lease: _Lease) -> None:
        progress = JobProgress(self._queue, job.id, self._ingest, self._prepare, lease.check)
        progress.run(decode(job.payload), list(job.documents))


class _Lease:
    """Renews a job's lease in the background while it runs; check() raises once it is lost."""

    def __init__(self, queue: SharedJobs, job_id: str, owner: str, lease_s: float) -> None:
        self._queue, self._job_id, self._owner, self._lease_s = queue, job_id, owner, lease_s
        self._lost = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="job-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stopped.wait(self._lease_s / 3):
            try:
                if not self._queue.renew(self._job_id, self._owner, self._lease_s):
                    self._lost = True
                    return
            except RagError as exc:  # keep trying: the lease may still hold when it is back
                log.warning("cannot renew the lease of job %s: %s", self._job_id, exc.message)

    def check(self) -> None:
        if self._lost:
            raise LeaseLostError(f"job {self._job_id} is no longer leased to this replica")

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
