"""Rows as both stores read and write them: the column lists, records made from rows, and
the changes a job update may make. SQLite hands back JSON as text and times as ISO strings;
Postgres hands back jsonb as Python values and timestamptz as datetimes: both become the
same records here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from src.errors import NotFoundError
from src.models import DocumentRecord, Hit, JobRecord, JobStatus, StoredChunk

DOC_COLUMNS = (
    "id, title, content_hash, media_type, source_name, metadata, char_count, chunk_count, "
    "created_at, source, version"
)
# A document as read: its columns, then its collection's name.
DOC_SELECT = (
    "SELECT d.id, d.title, d.content_hash, d.media_type, d.source_name, d.metadata, "
    "d.char_count, d.chunk_count, d.created_at, d.source, d.version, k.name FROM documents d "
    "JOIN collections k ON k.id = d.collection_id"
)
JOB_COLUMNS = (
    "id, status, total_chunks, embedded_chunks, documents, error, created_at, updated_at, "
    "collection, pages_total, pages_read"
)
JOB_FIELDS = frozenset(
    {"status", "total_chunks", "embedded_chunks", "documents", "error", "pages_total", "pages_read"}
)


def now() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime | str) -> str:
    """A time as the API shows it: UTC, ISO 8601, to the millisecond."""
    if isinstance(moment, str):
        return moment
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def document_record(row: Sequence[Any]) -> DocumentRecord:
    """A document from a row of DOC_SELECT (DOC_COLUMNS and the collection's name)."""
    return DocumentRecord(
        id=row[0],
        title=row[1],
        content_hash=row[2],
        media_type=row[3],
        source_name=row[4],
        metadata=json_value(row[5]),
        char_count=row[6],
        chunk_count=row[7],
        created_at=iso(row[8]),
        source=row[9],
        version=row[10],
        collection=row[11],
    )


def job_record(row: Sequence[Any]) -> JobRecord:
    """A job from a row of JOB_COLUMNS."""
    return JobRecord(
        id=row[0],
        status=JobStatus(row[1]),
        total_chunks=row[2],
        embedded_chunks=row[3],
        documents=json_value(row[4]),
        error=row[5],
        created_at=iso(row[6]),
        updated_at=iso(row[7]),
        collection=row[8],
        pages_total=row[9],
        pages_read=row[10],
    )


CHUNK_COLUMNS = "id, position, text, start_char, end_char, place"


def stored_chunk(row: Sequence[Any]) -> StoredChunk:
    """A chunk from a row of CHUNK_COLUMNS."""
    return StoredChunk(
        chunk_id=row[0],
        position=row[1],
        text=row[2],
        start=row[3],
        end=row[4],
        place=json_value(row[5]),
    )


def hit(row: Sequence[Any], score: float) -> Hit:
    """A hit from a row of (chunk id, document id, title, position, text, start, end,
    collection, place)."""
    return Hit(
        chunk_id=row[0],
        document_id=row[1],
        title=row[2],
        position=row[3],
        text=row[4],
        start=row[5],
        end=row[6],
        score=score,
        collection=row[7],
        place=json_value(row[8]),
    )


def job_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The column values of a job update, refusing anything but JOB_FIELDS."""
    unknown = set(changes) - JOB_FIELDS
    if unknown:
        raise ValueError(f"not job fields: {sorted(unknown)}")
    return {
        k: json.dumps(v) if k == "documents" else getattr(v, "value", v) for k, v in changes.items()
    }


def no_document(document_id: str) -> NotFoundError:
    return NotFoundError(
        f"no document with id {document_id!r}", hint="GET /v1/documents lists the stored ids"
    )


def no_source(source: str, collection: str) -> NotFoundError:
    return NotFoundError(
        f"no document with source {source!r} in collection {collection!r}",
        hint="GET /v1/documents?source=... finds a source in every collection the key reads",
    )


def no_collection(name: str) -> NotFoundError:
    return NotFoundError(
        f"no collection named {name!r}", hint="GET /v1/collections lists the collections"
    )


def no_job(job_id: str) -> NotFoundError:
    return NotFoundError(f"no job with id {job_id!r}")
