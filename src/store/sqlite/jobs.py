"""Background jobs' records in the embedded store: the jobs themselves run in this process
(src/jobs/embedded.py), so a job still unfinished when the process starts can never finish."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from typing import Any

from src.models import JobRecord, JobStatus
from src.store.rows import JOB_COLUMNS, job_changes, job_record, no_job, now
from src.store.sqlite.connection import SQLiteFile


class SQLiteJobs:
    def __init__(self, file: SQLiteFile) -> None:
        self._file = file

    def create_job(self, total_chunks: int, collection: str, pages: int = 0) -> JobRecord:
        created = now()
        job = JobRecord(
            uuid.uuid4().hex,
            JobStatus.QUEUED,
            total_chunks,
            0,
            [],
            "",
            created,
            created,
            collection,
            pages,
        )
        with self._file.transaction() as conn:
            conn.execute(
                f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(job.id, job.status.value, total_chunks, 0, "[]", "", created, created),
                    *(collection, pages, 0),
                ),
            )
        return job

    def update_job(self, job_id: str, **changes: Any) -> None:
        values = job_changes(changes)
        assignments = ", ".join(f"{column} = ?" for column in values)
        with self._file.transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                [*values.values(), now(), job_id],
            )

    def get_job(self, job_id: str) -> JobRecord:
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"
        row = self._file.reader().execute(sql, (job_id,)).fetchone()
        if row is None:
            raise no_job(job_id)
        return job_record(row)

    def fail_unfinished_jobs(self, reason: str, keep: Collection[str] = ()) -> int:
        """Mark every queued or running job failed with `reason`, except those in `keep`
        (this process's own); how many there were."""
        with self._file.transaction() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE status IN (?, ?) "
                "AND id NOT IN (SELECT value FROM json_each(?))",
                (
                    JobStatus.FAILED.value,
                    reason,
                    now(),
                    JobStatus.QUEUED.value,
                    JobStatus.RUNNING.value,
                    json.dumps(sorted(keep)),
                ),
            )
        return cursor.rowcount
