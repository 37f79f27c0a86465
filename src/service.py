"""The core's one door: everything the HTTP layer calls. It applies the defaults, decides
whether an upload is stored at once or queued as a job, runs blocking work on its own thread
pools, and answers for its state (src/wiring.py puts it together at start-up)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from src.access import Access
from src.audit import audit
from src.config import Settings
from src.embedding import Embedder, reads
from src.errors import ForbiddenError, InvalidInputError, NotFoundError
from src.extractive import extractive_answer
from src.generation import ChatModel, Message, cited_numbers, grounded_messages
from src.ingest import Ingestor, PendingScan, PreparedDocument, Upload, with_source
from src.jobs import JobRunner, start_runner
from src.jobs.runner import JobItem, collection_of
from src.keys import KeyRing
from src.models import (
    AnswerMode,
    DocumentRecord,
    Filters,
    Hit,
    IngestResult,
    JobRecord,
    Matrix,
    Ranking,
    SearchMode,
    StoredChunk,
)
from src.parsing.pool import ParserPool
from src.reranking import RerankStage
from src.retrieval import Retriever
from src.scoping import Collections
from src.sources import PART_MARK
from src.store import Backend
from src.store.rows import no_document, no_job, no_source
from src.text.segmentation import Segmenter
from src.web.fetch import Fetcher
from src.web.guard import AllowList

EXTRACTIVE_MODEL = "rag-api-extractive"
HISTORY_MESSAGES = 6
T = TypeVar("T")
# Blocking work runs in thread pools sized on purpose, one per kind of work, so a flood
# of uploads cannot hold the threads that searches need, and the other way round.
Lane = Literal["search", "ingest", "fetch"]
# URL fetches wait on other servers for up to RAG_URL_TIMEOUT_S: a lane of their own, so
# slow sites hold none of the threads that uploads need.
FETCH_THREADS = 4


@dataclass(frozen=True)
class Answer:
    text: str
    mode: AnswerMode
    model: str
    hits: list[Hit]
    cited: list[int] = field(default_factory=list)
    reranked: bool = False


@dataclass
class AnswerStream:
    """An answer as it is written: iterate `deltas()`; then `text` and `cited` hold it whole."""

    mode: AnswerMode
    model: str
    hits: list[Hit]
    source: AsyncIterator[str]
    text: str = ""
    reranked: bool = False

    async def deltas(self) -> AsyncIterator[str]:
        async for delta in self.source:
            self.text += delta
            yield delta

    @property
    def cited(self) -> list[int]:
        return cited_numbers(self.text, len(self.hits))


@dataclass(frozen=True)
class Ingested:
    """What an upload became: documents stored (or found stored), or a queued job."""

    documents: list[IngestResult] = field(default_factory=list)
    job: JobRecord | None = None


@dataclass(frozen=True)
class ServiceStatus:
    model: str  # the embedding model
    llm: str  # who writes answers
    documents: int
    chunks: int


async def _once(text: str) -> AsyncIterator[str]:
    yield text


class RagService:
    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        embedder: Embedder,
        llm: ChatModel | None,
        parser: ParserPool,
        segmenter: Segmenter,
        rerank: RerankStage | None = None,
    ) -> None:
        self.settings = settings
        self._backend = backend
        self._store = backend.store
        self._embedder = embedder
        self._llm = llm
        self._parser = parser
        self._segmenter = segmenter
        self._retriever = Retriever(self._store, embedder)
        self._rerank = rerank or RerankStage(None, 0)
        self.keys = KeyRing(self._store.catalog, settings.api_keys)
        self.collections = Collections(self._store, self.keys)
        self._ingestor = Ingestor(
            self._store,
            embedder,
            settings.chunk_tokens,
            settings.chunk_overlap_tokens,
            settings.embedding_batch_size
            if settings.embedding_remote
            else settings.embed_batch_size,
            parser.extract,
            settings.max_document_chars,
            settings.embed_title,
        )
        self._jobs: JobRunner = start_runner(
            backend,
            self._ingestor.ingest,
            self._ingestor.prepare_scan,
            settings.max_queued_jobs,
            settings.job_lease_s,
        )
        self._fetcher = (
            Fetcher(
                AllowList.parse(settings.url_allow),
                settings.max_upload_bytes,
                settings.url_timeout_s,
            )
            if settings.url_ingest
            else None
        )
        self._lanes: dict[Lane, ThreadPoolExecutor] = {
            "search": ThreadPoolExecutor(settings.search_threads, "search"),
            "ingest": ThreadPoolExecutor(settings.ingest_threads, "ingest"),
            "fetch": ThreadPoolExecutor(FETCH_THREADS, "fetch"),
        }
        if backend.owner is not None and self._store.standby:
            # Started beside the version it replaces: it owns the store once that one exits.
            backend.owner.when_acquired(self.take_over)

    async def aclose(self) -> None:
        self._jobs.stop()
        for lane in self._lanes.values():
            lane.shutdown(wait=True, cancel_futures=True)
        self._parser.close()
        if self._fetcher is not None:
            self._fetcher.close()
        self._rerank.close()
        if self._llm:
            await self._llm.aclose()
        self._embedder.close()
        self._backend.close()

    async def _offload(self, lane: Lane, work: Callable[..., T], *args: Any) -> T:
        """Run blocking `work(*args)` on the lane's threads, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._lanes[lane], functools.partial(work, *args))

    # -- state -----------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """Which store serves, as a log line may show it."""
        return self._backend.where

    @property
    def embedding_model(self) -> str:
        return self._embedder.name

    @property
    def model_name(self) -> str:
        """Who writes answers: the LLM, or the extractive fallback."""
        return self._llm.model if self._llm else EXTRACTIVE_MODEL

    @property
    def embedding_dimension(self) -> int:
        return self._embedder.dimension

    async def embed(self, access: Access, texts: list[str], query: bool) -> tuple[Matrix, int]:
        """The texts' embeddings by the service's model (as queries or as passages), and
        the tokens the model read. Any valid key may: nothing stored is read."""
        return await self._offload("search", self._embed, texts, query)

    def _embed(self, texts: list[str], query: bool) -> tuple[Matrix, int]:
        tokens = sum(
            min(len(self._embedder.token_spans(t)) + 2, self._embedder.max_tokens) for t in texts
        )
        return self._embedder.embed(texts, query=query), tokens

    @property
    def standby(self) -> bool:
        """Serving beside the version it replaces, which still owns the store's files."""
        return self._store.standby

    def refresh(self) -> None:
        """Take in what the version this one stands by for has written."""
        self._store.refresh()

    def take_over(self) -> None:
        """The version this one stood by for has stopped: own the store and its jobs."""
        self._store.take_over()
        self._jobs.take_over()

    def status(self) -> ServiceStatus:
        """For /ready and /metrics (a RagError: the store cannot answer now)."""
        documents, chunks = self._store.counts()
        return ServiceStatus(self._embedder.name, self.model_name, documents, chunks)

    # -- ingestion -------------------------------------------------------------------------

    async def ingest_files(
        self,
        access: Access,
        uploads: list[Upload],
        title: str = "",
        metadata: dict[str, Any] | None = None,
        background: bool | None = None,
        collection: str = "default",
        source: str = "",
    ) -> Ingested:
        """Parse every file before storing any (one bad file stores nothing), then store
        them in `collection` or queue them as a job: `background` forces one or the other,
        None decides by size (RAG_BACKGROUND_INGEST_CHARS) and queues any file with pages
        for OCR to read (`background=False` has OCR read them while the upload waits).
        `source`: the one file's stable name, whose live version it replaces."""
        if source and len(uploads) > 1:
            raise InvalidInputError(
                f"a source names one document, but the upload holds {len(uploads)} files",
                hint="upload each file with its own source",
            )
        await self._offload("search", self.collections.writable, access, collection)
        prepared = await self._offload(
            "ingest", self._prepare_uploads, uploads, title, metadata, background is not False
        )
        return await self._store_or_queue(access, _into(prepared, collection, source), background)

    async def ingest_text(
        self,
        access: Access,
        text: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        background: bool | None = None,
        collection: str = "default",
        source: str = "",
    ) -> Ingested:
        await self._offload("search", self.collections.writable, access, collection)
        prepared = await self._offload("ingest", self._ingestor.prepare_text, text, title, metadata)
        return await self._store_or_queue(access, _into([prepared], collection, source), background)

    async def ingest_url(
        self,
        access: Access,
        url: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        background: bool | None = None,
        collection: str = "default",
        source: str = "",
    ) -> Ingested:
        """Fetch the URL (src/web/fetch.py: its safety rules) and store what it answered as
        an upload, under `source` or else the URL itself, so a second fetch replaces it."""
        if self._fetcher is None:
            raise ForbiddenError(
                "URL ingestion is off on this service",
                hint="an operator turns it on with RAG_URL_INGEST=on",
            )
        await self._offload("search", self.collections.writable, access, collection)
        fetched = await self._offload("fetch", self._fetcher.fetch, url)
        upload = Upload(fetched.data, fetched.filename, fetched.content_type, web_page=True)
        prepared = await self._offload(
            "ingest", self._prepare_uploads, [upload], title, metadata, background is not False
        )
        placed = _into(prepared, collection, source or fetched.url)
        return await self._store_or_queue(access, placed, background)

    def _prepare_uploads(
        self,
        uploads: list[Upload],
        title: str,
        metadata: dict[str, Any] | None,
        defer_ocr: bool = False,
    ) -> list[JobItem]:
        if not uploads:
            raise InvalidInputError("no file in the upload", hint="send files in the 'files' field")
        given = title if len(uploads) == 1 else ""
        return [
            document
            for u in uploads
            for document in self._ingestor.prepare_upload(u, given, metadata, defer_ocr)
        ]

    async def _store_or_queue(
        self, access: Access, prepared: list[JobItem], background: bool | None
    ) -> Ingested:
        ready = [d for d in prepared if isinstance(d, PreparedDocument)]
        big = sum(len(d.source.text) for d in ready) > self.settings.background_ingest_chars
        collection = collection_of(prepared)
        if background or len(ready) < len(prepared) or (background is None and big):
            job = await self._offload("ingest", self._jobs.submit, prepared)
            audit(access, "job.create", collection, job=job.id, documents=len(prepared))
            return Ingested(job=job)
        results = await self._offload("ingest", self._ingest_all, ready)
        for result in results:
            if result.replaced:
                audit(
                    access,
                    "document.replace",
                    collection,
                    document=result.document.id,
                    replaced=result.replaced,
                )
            elif not result.duplicate:
                audit(access, "document.create", collection, document=result.document.id)
        return Ingested(documents=results)

    def _ingest_all(self, prepared: list[PreparedDocument]) -> list[IngestResult]:
        return [self._ingestor.ingest(document) for document in prepared]

    # -- documents and jobs ----------------------------------------------------------------

    def list_documents(
        self,
        access: Access,
        limit: int,
        offset: int,
        collections: list[str] | None = None,
        source: str | None = None,
        source_prefix: str | None = None,
    ) -> tuple[list[DocumentRecord], int]:
        """`source`: only the live version of that source (in each collection listed);
        `source_prefix`: only documents whose source begins with it."""
        searched = self.collections.searched(access, collections)
        return self._store.list_documents(limit, offset, searched, source, source_prefix)

    def get_document(self, access: Access, document_id: str) -> DocumentRecord:
        """The document, if the key may read its collection; else exactly the answer for an
        id that does not exist."""
        document = self._store.get_document(document_id)
        if not access.reads(document.collection):
            raise no_document(document_id)
        return document

    def list_chunks(
        self, access: Access, document_id: str, limit: int, offset: int
    ) -> tuple[DocumentRecord, list[StoredChunk]]:
        document = self.get_document(access, document_id)
        return document, self._store.list_chunks(document_id, limit, offset)

    def delete_document(self, access: Access, document_id: str) -> None:
        document = self.get_document(access, document_id)
        access.require_write(document.collection)
        self._store.delete_document(document_id)
        audit(access, "document.delete", document.collection, document=document_id)

    def delete_source(self, access: Access, source: str, collection: str) -> DocumentRecord:
        """Delete the live version of a source, and its parts (a mail's attachments); a
        collection the key may not read holds no source it could name."""
        document = self._store.find_source(source, collection)
        if document is None or not access.reads(collection):
            raise no_source(source, collection)
        self.delete_document(access, document.id)
        for part in self._store.find_sources(f"{source}{PART_MARK}", collection):
            with suppress(NotFoundError):  # deleted meanwhile
                self.delete_document(access, part.id)
        return document

    def get_job(self, access: Access, job_id: str) -> JobRecord:
        job = self._jobs.get(job_id)
        if not access.reads(job.collection):
            raise no_job(job_id)
        return job

    # -- retrieval and answers -------------------------------------------------------------

    async def retrieve(
        self,
        access: Access,
        query: str,
        top_k: int | None = None,
        mode: SearchMode = SearchMode.HYBRID,
        filters: Filters | None = None,
        rerank: bool = True,
    ) -> Ranking:
        """The top_k (default RAG_DEFAULT_TOP_K) chunks for the query, from the collections
        the filters name (default: every one the key may read), reranked if a reranker is
        configured and `rerank`."""
        return await self._offload(
            "search", self._retrieve, access, query, top_k, mode, filters, rerank, None
        )

    def _retrieve(
        self,
        access: Access,
        query: str,
        top_k: int | None,
        mode: SearchMode,
        filters: Filters | None,
        rerank: bool,
        vector: Matrix | None,
    ) -> Ranking:
        _check_query(query)
        k = top_k or self.settings.default_top_k
        scoped = self.collections.scope(access, filters)
        pool = self._rerank.pool(k, rerank)
        hits = self.collections.visible(
            access, self._retriever.retrieve(query, pool, mode, scoped, vector)
        )
        return self._rerank.apply(query, hits, k, rerank)

    async def answer(
        self,
        access: Access,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: list[Message] | None = None,
        search_mode: SearchMode = SearchMode.HYBRID,
        rerank: bool = True,
        **options: Any,
    ) -> Answer:
        stream = await self.stream_answer(
            access, question, top_k, filters, history, search_mode, rerank, False, **options
        )
        async for _ in stream.deltas():
            pass
        return Answer(
            stream.text, stream.mode, stream.model, stream.hits, stream.cited, stream.reranked
        )

    async def stream_answer(
        self,
        access: Access,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: list[Message] | None = None,
        search_mode: SearchMode = SearchMode.HYBRID,
        rerank: bool = True,
        streamed: bool = True,
        **options: Any,
    ) -> AnswerStream:
        """The answer from the LLM (streamed unless `streamed` is False), or else the
        extractive one; upstream errors are raised here, before any text is sent."""
        if self._llm is None:
            ranking, text = await self._offload(
                "search", self._extract, access, question, top_k, search_mode, filters, rerank
            )
            return _written("extractive", EXTRACTIVE_MODEL, ranking, _once(text))
        ranking = await self.retrieve(access, question, top_k, search_mode, filters, rerank)
        if not ranking.hits:
            text = extractive_answer(question, [], self._embedder, self._segmenter)
            return _written("extractive", EXTRACTIVE_MODEL, ranking, _once(text))
        messages = grounded_messages(question, ranking.hits, _recent(history))
        if streamed:
            deltas = await self._llm.stream(messages, **options)
        else:
            deltas = _once(await self._llm.complete(messages, **options))
        return _written("llm", self._llm.model, ranking, deltas)

    def _extract(
        self,
        access: Access,
        question: str,
        top_k: int | None,
        mode: SearchMode,
        filters: Filters | None,
        rerank: bool,
    ) -> tuple[Ranking, str]:
        """Hits and the extractive answer from them, the question embedded once for both."""
        _check_query(question)
        asked = None
        if reads(self._embedder, question):
            asked = self._embedder.embed([question], query=True)[0]
        ranking = self._retrieve(access, question, top_k, mode, filters, rerank, asked)
        text = extractive_answer(question, ranking.hits, self._embedder, self._segmenter, asked)
        return ranking, text


def _written(
    mode: AnswerMode, model: str, ranking: Ranking, source: AsyncIterator[str]
) -> AnswerStream:
    return AnswerStream(mode, model, ranking.hits, source, reranked=ranking.reranked)


def _into(prepared: list[JobItem], collection: str, source: str) -> list[JobItem]:
    """The documents as stored in `collection`; with a `source`, the one upload's document
    under it and each attachment under `source#name` (so a new version of a mail replaces
    its attachments too)."""
    names = _attachment_sources(prepared[1:], source) if source else []
    placed = [
        dataclasses.replace(d, collection=collection, source=name)
        if isinstance(d, PendingScan)
        else with_source(d, collection, name)
        for d, name in zip(
            prepared, [source, *names] if source else [""] * len(prepared), strict=True
        )
    ]
    if source and isinstance(placed[0], PreparedDocument):
        placed[0] = dataclasses.replace(placed[0], parts=tuple(names))
    return placed


def _attachment_sources(attachments: list[JobItem], source: str) -> list[str]:
    names: list[str] = []
    for item in attachments:
        name = item.source.source_name if isinstance(item, PreparedDocument) else ""
        base = f"{source}{PART_MARK}{name or 'attachment'}"
        names.append(base if base not in names else f"{base} ({len(names) + 1})")
    return names


def _check_query(query: str) -> None:
    if not query.strip():
        raise InvalidInputError("the query is empty", hint="send a question or keywords")


def _recent(history: list[Message] | None) -> list[Message]:
    return [m for m in history or [] if m.get("role") in ("user", "assistant")][-HISTORY_MESSAGES:]
