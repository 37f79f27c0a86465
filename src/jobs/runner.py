"""What both job runners share: their interface, the bound on queued jobs, what a job
records of each document, and the loop that ingests a job's documents and reports progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from src.errors import BusyError
from src.ingest import PreparedDocument, Progress
from src.models import IngestResult, JobRecord
from src.store.base import JobBook

# The job's progress is written after at least this many chunks more were embedded.
PROGRESS_EVERY_CHUNKS = 32
Ingest = Callable[[PreparedDocument, Progress | None], IngestResult]


class JobRunner(Protocol):
    def submit(self, documents: list[PreparedDocument]) -> JobRecord: ...

    def get(self, job_id: str) -> JobRecord: ...

    def stop(self, timeout: float = 5.0) -> None: ...


def collection_of(documents: list[PreparedDocument]) -> str:
    """The one collection an upload's documents go to."""
    return documents[0].source.collection if documents else "default"


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


def _never_lost() -> None:
    return None


class JobProgress:
    """Ingests a job's documents in order, writing the chunks embedded every
    PROGRESS_EVERY_CHUNKS and each finished document's result. `results`: of the documents
    an earlier run finished (they are not ingested again). `check` raises when the job
    must stop (another runner took it over)."""

    def __init__(
        self,
        jobs: JobBook,
        job_id: str,
        ingest: Ingest,
        check: Callable[[], None] = _never_lost,
    ) -> None:
        self._jobs, self._job_id, self._ingest, self._check = jobs, job_id, ingest, check
        self.done = 0
        self._reported = 0

    def run(self, documents: list[PreparedDocument], results: list[dict[str, Any]]) -> int:
        """Ingest the documents past `results`; the chunks embedded in all."""
        self.done = self._reported = sum(len(d.chunks) for d in documents[: len(results)])
        for document in documents[len(results) :]:
            result = self._ingest(document, self._count)
            self._check()
            results.append(job_result(result))
            self._jobs.update_job(self._job_id, embedded_chunks=self.done, documents=results)
        return self.done

    def _count(self, chunks: int) -> None:
        self._check()
        self.done += chunks
        if self.done - self._reported >= PROGRESS_EVERY_CHUNKS:
            self._jobs.update_job(self._job_id, embedded_chunks=self.done)
            self._reported = self.done
