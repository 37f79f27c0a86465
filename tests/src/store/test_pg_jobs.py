"""The job queue in Postgres: claims never collide, a lapsed lease is claimed again, a job
that keeps losing its runners fails with the reason."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from src.models import JobStatus
from src.store.pg_database import Database
from src.store.pg_jobs import ABANDONED, MAX_ATTEMPTS, JobQueue
from src.store.postgres import PostgresStore


@pytest.fixture()
def store(pg_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(Database(pg_url, 16), 8, model="m")
    yield opened
    opened.close()


def test_claim_by_many_replicas_gives_each_job_to_one(store: PostgresStore) -> None:
    jobs = {store.create_job(1, b"payload").id for _ in range(20)}
    queue = JobQueue(store.database)
    claims: list[tuple[str, str]] = []
    barrier = threading.Barrier(8)

    def replica(owner: str) -> None:
        barrier.wait()
        while (job := queue.claim(owner, 60)) is not None:
            claims.append((job.id, owner))

    threads = [threading.Thread(target=replica, args=(f"r{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job for job, _ in claims) == sorted(jobs)  # each exactly once
    assert len({owner for _, owner in claims}) > 1


def test_claim_after_the_lease_lapses_takes_the_job_over(store: PostgresStore) -> None:
    job = store.create_job(1, b"payload")
    queue = JobQueue(store.database)
    first = queue.claim("dead-replica", 0.5)
    assert first is not None and first.payload == b"payload"
    assert queue.claim("live-replica", 30) is None  # still leased
    time.sleep(0.8)
    second = queue.claim("live-replica", 30)
    assert second is not None and second.id == job.id
    assert not queue.renew(job.id, "dead-replica", 30)  # the dead one cannot come back
    queue.finish(job.id, "dead-replica", JobStatus.SUCCEEDED)
    assert store.get_job(job.id).status is JobStatus.RUNNING  # not its outcome to record
    queue.finish(job.id, "live-replica", JobStatus.SUCCEEDED)
    assert store.get_job(job.id).status is JobStatus.SUCCEEDED


def test_claim_fails_a_job_whose_runs_keep_dying(store: PostgresStore) -> None:
    job = store.create_job(1, b"payload")
    queue = JobQueue(store.database)
    for attempt in range(MAX_ATTEMPTS):
        assert queue.claim(f"replica-{attempt}", 0.2) is not None
        time.sleep(0.3)
    assert queue.claim("another", 30) is None
    failed = store.get_job(job.id)
    assert failed.status is JobStatus.FAILED and failed.error == ABANDONED
