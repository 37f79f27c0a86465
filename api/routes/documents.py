"""Documents: upload (files or JSON text) into a collection, list, show, their chunks,
delete; each within the collections the request's key may read (or write)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from api.deps import AccessDep, ServiceDep
from api.schemas import (
    MAX_OFFSET,
    ChunkOut,
    ChunkPage,
    DocumentIn,
    DocumentOut,
    DocumentPage,
    IngestedOut,
    IngestOut,
    JobAcceptedOut,
    Metadata,
    Source,
    TextDocumentIn,
    Title,
    UrlDocumentIn,
)
from api.schemas.base import MAX_COLLECTIONS, CollectionName
from src.access import Access, check_collection_name
from src.errors import InvalidInputError, UnsupportedTypeError
from src.ingest import Upload
from src.service import Ingested, RagService
from src.sources import MAX_SOURCE_CHARS, check_source

router = APIRouter(tags=["documents"])
MAX_FILES = 100
_metadata_adapter: TypeAdapter[dict[str, Any]] = TypeAdapter(Metadata)
_title_adapter: TypeAdapter[str] = TypeAdapter(Title)
_document_adapter: TypeAdapter[TextDocumentIn | UrlDocumentIn] = TypeAdapter(DocumentIn)
_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "title": {"type": "string", "maxLength": 500},
                        "metadata": {"type": "string", "description": "A JSON object."},
                        "collection": {
                            "type": "string",
                            "description": "Where to store the files (default: default).",
                        },
                        "source": {
                            "type": "string",
                            "maxLength": MAX_SOURCE_CHARS,
                            "description": "The one file's stable name (a path, a URL, an "
                            "id): a new version replaces the one stored under it.",
                        },
                    },
                    "required": ["files"],
                }
            },
            "application/json": {
                "schema": {
                    "oneOf": [
                        TextDocumentIn.model_json_schema(),
                        UrlDocumentIn.model_json_schema(),
                    ]
                }
            },
        },
        "required": True,
    }
}


def _validation_error(
    exc: ValidationError, where: str, untag: bool = False
) -> RequestValidationError:
    """`untag`: the error is of a JSON upload, whose first location is the kind of body
    (text or url) it was read as, not a field."""
    return RequestValidationError(
        [{**e, "loc": (where, *e["loc"][1 if untag else 0 :])} for e in exc.errors()]
    )


def _text_part(form: FormData, name: str) -> str:
    value = form.get(name) or ""
    if isinstance(value, UploadFile):
        raise InvalidInputError(f"the '{name}' part must be text, not a file")
    return value


def _form_title(form: FormData) -> str:
    try:
        return _title_adapter.validate_python(_text_part(form, "title"))
    except ValidationError as exc:
        raise _validation_error(exc, "title") from exc


def _form_metadata(form: FormData) -> dict[str, Any]:
    try:
        return dict(_metadata_adapter.validate_json(_text_part(form, "metadata") or "{}"))
    except ValidationError as exc:
        raise _validation_error(exc, "metadata") from exc


def _files(form: FormData) -> list[UploadFile]:
    parts = form.getlist("files") + form.getlist("file")
    if any(isinstance(part, str) for part in parts):
        raise InvalidInputError(
            "a 'files' part is not a file: its Content-Disposition has no filename=",
            hint='send each file with filename="name.ext" (filename*= alone is not supported)',
        )
    return [part for part in parts if isinstance(part, UploadFile)]


@dataclass(frozen=True)
class _Form:
    uploads: list[Upload]
    title: str
    metadata: dict[str, Any]
    collection: str
    source: str


async def _uploads_from_form(request: Request) -> _Form:
    # A malformed body raises Starlette's 400, answered as a 422 like malformed JSON.
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    try:
        title, metadata = _form_title(form), _form_metadata(form)
        collection = check_collection_name(_text_part(form, "collection") or "default")
        source = check_source(_text_part(form, "source"))
        uploads = [
            Upload(await f.read(), f.filename or "", f.content_type or "") for f in _files(form)
        ]
    finally:
        await form.close()
    return _Form(uploads, title, metadata, collection, source)


async def _ingest(
    request: Request, service: RagService, access: Access, background: bool | None
) -> Ingested:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        form = await _uploads_from_form(request)
        return await service.ingest_files(
            access,
            form.uploads,
            form.title,
            form.metadata,
            background,
            form.collection,
            form.source,
        )
    if media_type in ("application/json", ""):
        body = await request.body()
        try:  # up to RAG_MAX_UPLOAD_MB of JSON: decoded off the event loop
            payload = await asyncio.to_thread(_document_adapter.validate_json, body)
        except ValidationError as exc:
            raise _validation_error(exc, "body", untag=True) from exc
        metadata = dict(payload.metadata)
        if isinstance(payload, UrlDocumentIn):
            return await service.ingest_url(
                access,
                payload.url,
                payload.title,
                metadata,
                background,
                payload.collection,
                payload.source,
            )
        return await service.ingest_text(
            access,
            payload.text,
            payload.title,
            metadata,
            background,
            payload.collection,
            payload.source,
        )
    raise UnsupportedTypeError(
        f"unsupported request content type {media_type!r}",
        hint="send files as multipart/form-data or text as JSON",
    )


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_DOC,
    responses={
        200: {"model": IngestOut, "description": "Every document was already stored."},
        202: {"model": JobAcceptedOut, "description": "Queued as a background job."},
    },
)
async def create_documents(
    request: Request,
    response: Response,
    service: ServiceDep,
    access: AccessDep,
    background: Annotated[
        bool | None,
        Query(description="Force (true) or forbid (false) a background job; default: by size."),
    ] = None,
) -> IngestOut | JobAcceptedOut:
    ingested = await _ingest(request, service, access, background)
    if ingested.job is not None:
        accepted = JobAcceptedOut.of(ingested.job)
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = accepted.status_url
        return accepted
    if not any(not r.duplicate for r in ingested.documents):
        response.status_code = status.HTTP_200_OK
    return IngestOut(documents=[IngestedOut.of_result(r) for r in ingested.documents])


@router.get("/documents")
def list_documents(
    service: ServiceDep,
    access: AccessDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    collection: Annotated[
        list[CollectionName] | None,
        Query(
            max_length=MAX_COLLECTIONS,
            description="Only these collections (repeat; default: every one the key may read).",
        ),
    ] = None,
    source: Annotated[
        Source | None, Query(description="Only the live version of this source.")
    ] = None,
    source_prefix: Annotated[
        Source | None,
        Query(description="Only documents whose source begins with this (a synced folder)."),
    ] = None,
) -> DocumentPage:
    records, total = service.list_documents(
        access, limit, offset, collection, source, source_prefix
    )
    return DocumentPage(
        items=[DocumentOut.of(r) for r in records], total=total, limit=limit, offset=offset
    )


@router.get("/documents/{document_id}")
def get_document(document_id: str, service: ServiceDep, access: AccessDep) -> DocumentOut:
    return DocumentOut.of(service.get_document(access, document_id))


@router.get("/documents/{document_id}/chunks")
def list_chunks(
    document_id: str,
    service: ServiceDep,
    access: AccessDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ChunkPage:
    document, chunks = service.list_chunks(access, document_id, limit, offset)
    return ChunkPage(
        document=DocumentOut.of(document),
        items=[ChunkOut.of(c) for c in chunks],
        total=document.chunk_count,
        limit=limit,
        offset=offset,
    )


@router.delete("/documents", status_code=status.HTTP_204_NO_CONTENT)
def delete_source(
    service: ServiceDep,
    access: AccessDep,
    source: Annotated[Source, Query(min_length=1, description="The source to delete.")],
    collection: Annotated[
        CollectionName, Query(description="Where the source is (default: default).")
    ] = "default",
) -> Response:
    service.delete_source(access, source, collection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, service: ServiceDep, access: AccessDep) -> Response:
    service.delete_document(access, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
