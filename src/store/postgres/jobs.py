"""Background jobs in Postgres, shared by every replica.

A job's input (its parsed documents) is stored with it, so any replica can run it. A
replica claims the oldest claimable job with `FOR UPDATE SKIP LOCKED` (replicas claiming at
the same moment never get the same one) and holds it under a lease it renews while it works;
a job whose lease lapsed (its replica died or lost the database) is claimable again, and
its documents already stored are found by their content hash, not stored twice. A job
claimed MAX_ATTEMPTS times without finishing fails with the reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from src.models import ClaimedJob, JobRecord, JobStatus
from src.store.postgres.database import Database
from src.store.rows import JOB_COLUMNS, job_changes, job_record, no_job

MAX_ATTEMPTS = 3
ABANDONED = (
    f"abandoned: {MAX_ATTEMPTS} runs ended before it finished "
    "(their replicas stopped or lost the database)"
)


class PostgresJobs:
    def __init__(self, database: Database) -> None:
        self._database = database

    def create_job(
        self, total_chunks: int, payload: bytes, collection: str, pages: int = 0
    ) -> JobRecord:
        """A queued job whose input (`payload`) any replica can run."""
        with self._database.transaction() as conn:
            row = conn.execute(
                "INSERT INTO jobs (id, status, total_chunks, payload, collection, pages_total) "
                f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING {JOB_COLUMNS}",
                (
                    uuid.uuid4().hex,
                    JobStatus.QUEUED.value,
                    total_chunks,
                    payload,
                    collection,
                    pages,
                ),
            ).fetchone()
        assert row is not None
        return job_record(row)

    def update_job(self, job_id: str, **changes: Any) -> None:
        values = job_changes(changes)
        assignments = ", ".join(f"{column} = %s" for column in values)
        with self._database.transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {assignments}, updated_at = now() WHERE id = %s",
                [*values.values(), job_id],
            )

    def get_job(self, job_id: str) -> JobRecord:
        with self._database.connection() as conn:
            row = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,)
            ).fetchone()
        if row is None:
            raise no_job(job_id)
        return job_record(row)

    def queued(self) -> int:
        with self._database.transaction() as conn:
            row = conn.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()
        return int(row[0]) if row else 0

    def claim(self, owner: str, lease_s: float) -> ClaimedJob | None:
        """The oldest queued job, or one whose lease lapsed, now leased to `owner`."""
        with self._database.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = %s, error = %s, payload = NULL, owner = NULL, "
                "updated_at = now() WHERE status = %s AND lease_until < now() AND attempts >= %s",
                (JobStatus.FAILED.value, ABANDONED, JobStatus.RUNNING.value, MAX_ATTEMPTS),
            )
            row = conn.execute(
                "UPDATE jobs SET status = %s, owner = %s, attempts = attempts + 1, "
                "lease_until = now() + make_interval(secs => %s), updated_at = now() "
                "WHERE id = (SELECT id FROM jobs WHERE status = %s "
                "OR (status = %s AND lease_until < now()) "
                "ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1) "
                "RETURNING id, payload, documents, embedded_chunks",
                (
                    JobStatus.RUNNING.value,
                    owner,
                    lease_s,
                    JobStatus.QUEUED.value,
                    JobStatus.RUNNING.value,
                ),
            ).fetchone()
        if row is None:
            return None
        return ClaimedJob(row[0], bytes(row[1] or b""), row[2], row[3])

    def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        """Extend the lease; False when the job is no longer this owner's to run."""
        with self._database.transaction() as conn:
            done = conn.execute(
                "UPDATE jobs SET lease_until = now() + make_interval(secs => %s) "
                "WHERE id = %s AND owner = %s AND status = %s",
                (lease_s, job_id, owner, JobStatus.RUNNING.value),
            )
        return done.rowcount == 1

    def finish(self, job_id: str, owner: str, status: JobStatus, error: str = "") -> None:
        """End the owner's run: the input is dropped, the outcome stays."""
        with self._database.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = %s, error = %s, payload = NULL, owner = NULL, "
                "lease_until = NULL, updated_at = now() WHERE id = %s AND owner = %s",
                (status.value, error, job_id, owner),
            )
