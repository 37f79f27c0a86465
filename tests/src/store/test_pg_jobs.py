"""The job queue in Postgres: claims never collide, a lapsed lease is claimed again, a job
that keeps losing its runners fails with the reason."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from helpers import poll, wait_until

from src.models import ClaimedJob, JobStatus
from src.store import SharedJobs, StoreOptions, open_store
from src.store.postgres.jobs import ABANDONED, MAX_ATTEMPTS

# Polled rather than slept through: a lease lapses by Postgres's clock, and a slow machine
# may show it late; past a lease, this long is allowed before the test fails.
LAPSE_GRACE_S = 10
Claim = Callable[[str, float], ClaimedJob | None]  # (owner, lease in seconds)


def _claim_once_lapsed(
    claim: Claim, owner: str, lapsing_s: float, lease_s: float = 30
) -> ClaimedJob:
    """The job, claimed by `owner` as soon as the lease on it (`lapsing_s` long) lapses."""
    what = f"a {lapsing_s} s lease to lapse"
    return poll(lambda: claim(owner, lease_s), lapsing_s + LAPSE_GRACE_S, what)


def _failed_once_lapsed(claim: Claim, store: SharedJobs, job_id: str, lapsing_s: float) -> None:
    """Claims, none of which gets the job, until one past its last lease fails it."""

    def failed() -> bool:
        assert claim("another", 30) is None
        return store.get_job(job_id).status is JobStatus.FAILED

    wait_until(
        failed, lapsing_s + LAPSE_GRACE_S, f"a job to fail once its {lapsing_s} s lease lapses"
    )


@pytest.fixture()
def store(pg_url: str) -> Iterator[SharedJobs]:
    backend = open_store(pg_url, StoreOptions(8, model="m", pool_size=16))
    assert backend.shared_jobs is not None
    yield backend.shared_jobs
    backend.close()


def test_claim_by_many_replicas_gives_each_job_to_one(store: SharedJobs) -> None:
    jobs = {store.create_job(1, b"payload", "default").id for _ in range(20)}
    queue = store
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


def test_claim_after_the_lease_lapses_takes_the_job_over(store: SharedJobs) -> None:
    job = store.create_job(1, b"payload", "default")
    queue = store
    first = queue.claim("dead-replica", 0.5)
    assert first is not None and first.payload == b"payload"
    assert queue.claim("live-replica", 30) is None  # still leased
    second = _claim_once_lapsed(queue.claim, "live-replica", 0.5)
    assert second.id == job.id
    assert not queue.renew(job.id, "dead-replica", 30)  # the dead one cannot come back
    queue.finish(job.id, "dead-replica", JobStatus.SUCCEEDED)
    assert store.get_job(job.id).status is JobStatus.RUNNING  # not its outcome to record
    queue.finish(job.id, "live-replica", JobStatus.SUCCEEDED)
    assert store.get_job(job.id).status is JobStatus.SUCCEEDED


def test_claim_fails_a_job_whose_runs_keep_dying(store: SharedJobs) -> None:
    job = store.create_job(1, b"payload", "default")
    queue = store
    assert queue.claim("replica-0", 0.2) is not None
    for attempt in range(1, MAX_ATTEMPTS):
        _claim_once_lapsed(queue.claim, f"replica-{attempt}", 0.2, lease_s=0.2)
    _failed_once_lapsed(queue.claim, store, job.id, 0.2)
    assert store.get_job(job.id).error == ABANDONED
