"""What both job runners share: their interface, the bound on queued jobs, what a job
records of each document, and the loop that ingests a job's documents and reports progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from src.errors import BusyError
from src.ingest import PendingScan, PreparedDocument, Progress
from src.models import IngestResult, JobRecord
from src.parsing.ocr import PageProgress
from src.store.base import JobBook

# The job's progress is written after at least this many chunks more were embedded.
PROGRESS_EVERY_CHUNKS = 32
Ingest = Callable[[PreparedDocument, Progress | None], IngestResult]
# What OCR reads first (an upload's scanned pages), telling of each page it reads.
Prepare = Callable[[PendingScan, PageProgress], PreparedDocument]
# What a job ingests: documents ready to embed, or uploads OCR must read first.
JobItem = PreparedDocument | PendingScan


class JobRunner(Protocol):
    def submit(self, documents: list[JobItem]) -> JobRecord: ...

    def get(self, job_id: str) -> JobRecord: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def take_over(self) -> None:
        """The process that ran jobs beside this one has stopped: its unfinished ones will
        never finish."""
        ...


def collection_of(documents: list[JobItem]) -> str:
    """The one collection an upload's documents go to."""
    if not documents:
        return "default"
    first = documents[0]
    return first.collection if isinstance(first, PendingScan) else first.source.collection


def sizes(documents: list[JobItem]) -> tuple[int, int]:
    """(chunks known to embed, pages OCR must read first) of a job's documents."""
    chunks = sum(len(d.chunks) for d in documents if isinstance(d, PreparedDocument))
    return chunks, sum(d.pages for d in documents if isinstance(d, PendingScan))


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
        "source": document.source,
        "version": document.version,
        "replaced": result.replaced,
    }


def _never_lost() -> None:
    return None


class JobProgress:
    """Ingests a job's documents in order, writing the chunks embedded every
    PROGRESS_EVERY_CHUNKS, each page OCR reads, and each finished document's result.
    `results`: of the documents an earlier run finished (they are not ingested again).
    `check` raises when the job must stop (another runner took it over)."""

    def __init__(
        self,
        jobs: JobBook,
        job_id: str,
        ingest: Ingest,
        prepare: Prepare,
        check: Callable[[], None] = _never_lost,
    ) -> None:
        self._jobs, self._job_id, self._check = jobs, job_id, check
        self._ingest, self._prepare = ingest, prepare
        self.done = 0
        self._reported = 0
        self._pages_read = 0
        self._total = 0

    def run(self, documents: list[JobItem], results: list[dict[str, Any]]) -> int:
        """Ingest the documents past `results`; the chunks embedded in all."""
        finished = documents[: len(results)]
        self.done = self._reported = sum(
            len(d.chunks) if isinstance(d, PreparedDocument) else int(r["chunk_count"])
            for d, r in zip(finished, results, strict=True)
        )
        self._pages_read = sizes(finished)[1]
        self._total = sizes(documents)[0]
        for item in documents[len(results) :]:
            result = self._ingest(self._ready(item), self._count)
            self._check()
            results.append(job_result(result))
            self._jobs.update_job(self._job_id, embedded_chunks=self.done, documents=results)
        return self.done

    def _ready(self, item: JobItem) -> PreparedDocument:
        """The document to embed: a scan once OCR has read its pages."""
        if isinstance(item, PreparedDocument):
            return item
        document = self._prepare(item, self._page)
        self._total += len(document.chunks)
        self._pages_read += item.pages
        self._jobs.update_job(self._job_id, total_chunks=self._total, pages_read=self._pages_read)
        return document

    def _page(self, read: int, pages: int) -> None:
        self._check()
        self._jobs.update_job(self._job_id, pages_read=self._pages_read + read)

    def _count(self, chunks: int) -> None:
        self._check()
        self.done += chunks
        if self.done - self._reported >= PROGRESS_EVERY_CHUNKS:
            self._jobs.update_job(self._job_id, embedded_chunks=self.done)
            self._reported = self.done
