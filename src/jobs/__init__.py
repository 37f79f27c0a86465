"""Background ingestion jobs: run by this process for the embedded store
(src/jobs/embedded.py), or drawn from a queue in the database by whichever replica is free
(src/jobs/shared.py). Both are a `JobRunner`; `start_runner` picks the one a store keeps
jobs for."""

from __future__ import annotations

from src.jobs.embedded import EmbeddedJobRunner
from src.jobs.runner import Ingest, JobRunner, Prepare
from src.jobs.shared import SharedJobRunner
from src.store import Backend

__all__ = ["JobRunner", "start_runner"]


def start_runner(
    backend: Backend, ingest: Ingest, prepare: Prepare, max_queued: int, lease_s: float
) -> JobRunner:
    """`prepare` reads an upload's scanned pages by OCR; `lease_s`: how long a replica holds
    a shared job without renewing its lease. A store on standby leaves the jobs of the
    process it stands by for alone (see EmbeddedJobRunner)."""
    if backend.shared_jobs is not None:
        return SharedJobRunner(backend.shared_jobs, ingest, prepare, max_queued, lease_s)
    if backend.local_jobs is None:
        raise ValueError(f"the store at {backend.where} keeps no job records")
    standby = backend.store.standby
    return EmbeddedJobRunner(backend.local_jobs, ingest, prepare, max_queued, standby)
