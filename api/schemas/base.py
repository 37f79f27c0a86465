"""Request and response bodies of the `/v1` routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from src.access import COLLECTION_NAME
from src.errors import InvalidInputError
from src.ingest import MAX_TITLE_CHARS
from src.models import (
    DocumentRecord,
    Filters,
    Hit,
    IngestResult,
    JobRecord,
    SearchMode,
    StoredChunk,
)
from src.places import Place, describe
from src.scoping import MAX_SEARCHED
from src.service import Answer
from src.sources import MAX_SOURCE_CHARS, check_source

# Every field has a bound; a request over one is a 422 that names the field and the limit.
MAX_QUERY_CHARS = 10_000
MAX_METADATA_KEYS = 32
MAX_METADATA_VALUE_CHARS = 1_000
MAX_DOCUMENT_IDS = 1_000
MAX_OFFSET = 1_000_000_000

MetadataKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
INT64 = range(-(2**63), 2**63)


def _int64(value: object) -> object:
    # Checked before the union: an over-wide int would otherwise pass as a rounded float.
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise ValueError("integers must fit in 64 bits")
    return value


MetadataValue = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_METADATA_VALUE_CHARS)]
    | int
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool,
    BeforeValidator(_int64),
]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=MAX_METADATA_KEYS)]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]


def _source(value: str) -> str:
    try:
        return check_source(value)
    except InvalidInputError as exc:  # a validation error, named by the field it is in
        raise ValueError(exc.message) from exc


Source = Annotated[
    str,
    AfterValidator(_source),
    Field(
        description="The client's stable name for the document (a path, a URL, an id; at "
        f"most {MAX_SOURCE_CHARS} characters): a new version replaces the one stored under it."
    ),
]
DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CollectionName = Annotated[str, StringConstraints(pattern=COLLECTION_NAME.pattern)]
MAX_COLLECTIONS = MAX_SEARCHED  # collections one request may name
Searched = Annotated[
    list[CollectionName] | None,
    Field(
        max_length=MAX_COLLECTIONS,
        description="Collections to search (default: every one the key may read).",
    ),
]
TopK = Annotated[int, Field(ge=1, le=100)]


class TextDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        min_length=1, description="The document's text (at most RAG_MAX_DOCUMENT_CHARS)."
    )
    title: Title = ""
    metadata: Metadata = Field(default_factory=dict)
    collection: CollectionName = Field("default", description="Where it is stored.")
    source: Source = ""


class UrlDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_CHARS,
        description="An http(s) URL to fetch (when the service has RAG_URL_INGEST=on).",
    )
    title: Title = ""
    metadata: Metadata = Field(default_factory=dict)
    collection: CollectionName = Field("default", description="Where it is stored.")
    source: Source = Field("", description="Its source (default: the URL, without fragment).")


def _document_kind(value: Any) -> str:
    return "url" if isinstance(value, dict) and "url" in value else "text"


# A JSON upload: text, or a URL to fetch (told apart by the `url` key).
DocumentIn = Annotated[
    Annotated[TextDocumentIn, Tag("text")] | Annotated[UrlDocumentIn, Tag("url")],
    Discriminator(_document_kind),
]


class DocumentOut(BaseModel):
    id: str
    collection: str
    title: str
    media_type: str
    source_name: str
    metadata: dict[str, Any]
    char_count: int
    chunk_count: int
    content_hash: str
    created_at: str
    source: str = Field(description='The client\'s stable name for it ("": none).')
    version: int = Field(description="Of its source: 1, then one more with each replacement.")

    @classmethod
    def of(cls, record: DocumentRecord) -> DocumentOut:
        return cls.model_validate(record, from_attributes=True)


class IngestedOut(DocumentOut):
    duplicate: bool = Field(description="True when identical content was already stored.")
    replaced: str | None = Field(
        None, description="The id of its source's earlier version, which it replaced."
    )

    @classmethod
    def of_result(cls, result: IngestResult) -> IngestedOut:
        document = DocumentOut.of(result.document).model_dump()
        return cls(**document, duplicate=result.duplicate, replaced=result.replaced)


class IngestOut(BaseModel):
    documents: list[IngestedOut]


class JobOut(BaseModel):
    id: str
    collection: str
    status: str
    total_chunks: int = Field(description="Chunks to embed (grows once OCR has read a scan).")
    embedded_chunks: int
    pages_total: int = Field(description="Pages of scans and images OCR reads first.")
    pages_read: int
    progress: float = Field(
        description="(pages_read + embedded_chunks) / (pages_total + total_chunks), 0 to 1."
    )
    documents: list[dict[str, Any]]
    error: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, job: JobRecord) -> JobOut:
        done = job.pages_read + job.embedded_chunks
        work = job.pages_total + job.total_chunks
        progress = done / work if work else 1.0
        return cls(
            id=job.id,
            collection=job.collection,
            status=job.status.value,
            total_chunks=job.total_chunks,
            embedded_chunks=job.embedded_chunks,
            pages_total=job.pages_total,
            pages_read=job.pages_read,
            progress=round(min(progress, 1.0), 4),
            documents=job.documents,
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


class JobAcceptedOut(BaseModel):
    job_id: str
    status: str
    total_chunks: int
    status_url: str

    @classmethod
    def of(cls, job: JobRecord) -> JobAcceptedOut:
        return cls(
            job_id=job.id,
            status=job.status.value,
            total_chunks=job.total_chunks,
            status_url=f"/v1/jobs/{job.id}",
        )


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class PlaceOut(BaseModel):
    """Where a passage is in its source file; only what the file's format has is given."""

    label: str = Field(description='As a reader writes it: "p. 87", "slide 3", "Q3, rows 2-9".')
    page: int | None = Field(None, description="The PDF page the passage starts on, 1-based.")
    page_end: int | None = Field(None, description="The page it ends on, if another.")
    slide: int | None = Field(None, description="The slide, 1-based.")
    slide_end: int | None = None
    chapter: int | None = Field(None, description="The e-book chapter, in reading order.")
    chapter_end: int | None = None
    sheet: str | None = Field(None, description="The spreadsheet's sheet.")
    rows: list[int] | None = Field(
        None, description="The first and last row (1-based, the header row is 1)."
    )
    part: str | None = Field(None, description="The part of a mail message.")

    @classmethod
    def of(cls, place: Place) -> PlaceOut | None:
        return cls(label=describe(place), **place) if place else None


class ChunkOut(BaseModel):
    chunk_id: int
    position: int
    text: str
    start: int = Field(description="Where the chunk starts in the document's text.")
    end: int
    place: PlaceOut | None = Field(None, description="Where it is in the source file.")

    @classmethod
    def of(cls, chunk: StoredChunk) -> ChunkOut:
        return cls.model_validate({**chunk.__dict__, "place": PlaceOut.of(chunk.place)})


class ChunkPage(BaseModel):
    document: DocumentOut
    items: list[ChunkOut]
    total: int
    limit: int
    offset: int


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_ids: list[DocumentId] = Field(default_factory=list, max_length=MAX_DOCUMENT_IDS)
    metadata: Metadata = Field(
        default_factory=dict, description="Exact matches on document metadata, all required."
    )

    def to_filters(self, collections: list[str] | None = None) -> Filters:
        searched = None if collections is None else tuple(collections)
        return Filters(tuple(self.document_ids), tuple(sorted(self.metadata.items())), searched)


def filters_of(filters: FiltersIn | None, collections: list[str] | None) -> Filters:
    """What a request searches: its filters, within the collections it names."""
    return (filters or FiltersIn()).to_filters(collections)


RERANK_IN = "Rerank the first stage's candidates with the configured reranker, if any."
RERANKED_OUT = (
    "Whether the configured reranker ordered the passages; false: the first-stage order "
    "(no reranker configured, the request said rerank: false, or the reranker failed)."
)


class RetrieveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: TopK | None = None
    mode: SearchMode = SearchMode.HYBRID
    filters: FiltersIn | None = None
    collections: Searched = None
    rerank: bool = Field(True, description=RERANK_IN)


class HitOut(BaseModel):
    chunk_id: int
    document_id: str
    collection: str
    title: str
    position: int
    text: str
    start: int
    end: int
    place: PlaceOut | None = Field(None, description="Where it is in the source file.")
    score: float

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls.model_validate({**hit.__dict__, "place": PlaceOut.of(hit.place)})


class RetrieveOut(BaseModel):
    query: str
    mode: SearchMode
    results: list[HitOut]
    reranked: bool = Field(description=RERANKED_OUT)


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: TopK | None = None
    # Not "mode": in the answer, "mode" says who wrote it (llm or extractive).
    search_mode: SearchMode = Field(
        SearchMode.HYBRID, description="How the passages are retrieved (as /v1/retrieve's mode)."
    )
    stream: bool = False
    filters: FiltersIn | None = None
    collections: Searched = None
    rerank: bool = Field(True, description=RERANK_IN)


class CitationOut(HitOut):
    number: int = Field(description="The [n] that refers to this passage in the answer.")

    @classmethod
    def numbered(cls, hits: list[Hit]) -> list[CitationOut]:
        return [cls(number=n, **HitOut.of(hit).model_dump()) for n, hit in enumerate(hits, 1)]


class QueryOut(BaseModel):
    answer: str
    mode: Literal["llm", "extractive"]
    model: str
    citations: list[CitationOut]
    cited: list[int] = Field(description="Citation numbers that the answer actually uses.")
    reranked: bool = Field(description=RERANKED_OUT)

    @classmethod
    def of(cls, answer: Answer) -> QueryOut:
        return cls(
            answer=answer.text,
            mode=answer.mode,
            model=answer.model,
            citations=CitationOut.numbered(answer.hits),
            cited=answer.cited,
            reranked=answer.reranked,
        )
