"""The core's one entry point: everything the HTTP layer calls, loaded once at start-up."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from src.config import Settings
from src.embedding import Embedder, OnnxEmbedder, measuring_tokenizer, spans_of
from src.errors import InvalidInputError, StoreUnavailableError
from src.generation import (
    ChatModel,
    Message,
    cited_numbers,
    extractive_answer,
    grounded_messages,
)
from src.ingest import Ingestor, PreparedDocument, Upload
from src.jobs import JobRunner
from src.models import (
    AnswerMode,
    DocumentRecord,
    Filters,
    Hit,
    IngestResult,
    JobRecord,
    SearchMode,
    StoredChunk,
)
from src.parsing import ParseLimits
from src.parsing.limits import MB
from src.parsing.pool import ParserPool
from src.remote_embedding import RemoteEmbedder
from src.retrieval import Retriever
from src.shared_jobs import SharedJobRunner
from src.store import SQLiteStore, Store
from src.store.ann import AnnParams
from src.store.postgres import PostgresStore
from src.store.segmentation import Segmenter

EXTRACTIVE_MODEL = "rag-api-extractive"
HISTORY_MESSAGES = 6
T = TypeVar("T")
# Blocking work runs in thread pools sized on purpose, one per kind of work, so a flood
# of uploads cannot hold the threads that searches need, and the other way round.
Lane = Literal["search", "ingest"]
# Told why the database cannot be reached at start-up; True: try again.
DatabaseWait = Callable[[StoreUnavailableError], bool]


@dataclass(frozen=True)
class Answer:
    text: str
    mode: AnswerMode
    model: str
    hits: list[Hit]
    cited: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerStream:
    mode: AnswerMode
    model: str
    hits: list[Hit]
    deltas: AsyncIterator[str]


async def _once(text: str) -> AsyncIterator[str]:
    yield text


def load_embedder(settings: Settings) -> Embedder:
    """The configured OpenAI-compatible endpoint, or else the bundled local model."""
    if not settings.embedding_remote:
        return OnnxEmbedder.load(
            settings.model_dir, settings.embed_batch_size, settings.embed_threads
        )
    tokenizer = measuring_tokenizer(settings.model_dir)
    return RemoteEmbedder.connect(
        settings.embedding_base_url,
        settings.embedding_api_key.get_secret_value(),
        settings.embedding_model,
        settings.embedding_timeout_s,
        token_spans=functools.partial(spans_of, tokenizer),
        max_tokens=settings.embedding_max_tokens,
        batch_size=settings.embedding_batch_size,
        retries=settings.embedding_retries,
        languages=tuple(code.strip() for code in settings.embedding_languages.split(",")),
        prefixes=(settings.embedding_query_prefix, settings.embedding_passage_prefix),
    )


class RagService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
        llm: ChatModel | None,
        parser: ParserPool,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.llm = llm
        self.parser = parser
        self.retriever = Retriever(store, embedder)
        self.ingestor = Ingestor(
            store,
            embedder,
            settings.chunk_tokens,
            settings.chunk_overlap_tokens,
            settings.embedding_batch_size
            if settings.embedding_remote
            else settings.embed_batch_size,
            parser.extract,
            settings.max_document_chars,
        )
        self.jobs: JobRunner | SharedJobRunner
        if isinstance(store, PostgresStore):
            self.jobs = SharedJobRunner(
                store, self.ingestor, settings.max_queued_jobs, settings.job_lease_s
            )
        else:
            self.jobs = JobRunner(store, self.ingestor, settings.max_queued_jobs)
        self._lanes: dict[Lane, ThreadPoolExecutor] = {
            "search": ThreadPoolExecutor(settings.search_threads, "search"),
            "ingest": ThreadPoolExecutor(settings.ingest_threads, "ingest"),
        }

    @classmethod
    def open(cls, settings: Settings, wait: DatabaseWait | None = None) -> RagService:
        """Load the model and open the store: the slow part of start-up. `wait` is told
        each time the database cannot be reached yet and says whether to try again."""
        # The parser workers start first: they import their libraries while the model loads.
        parser = ParserPool(_parse_limits(settings), settings.parse_workers)
        try:
            embedder = load_embedder(settings)
            store = open_store(settings, embedder, wait or _never_wait)
        except BaseException:
            parser.close()
            raise
        llm = None
        if settings.llm_configured:
            llm = ChatModel(
                settings.llm_base_url,
                settings.llm_api_key.get_secret_value(),
                settings.llm_model,
                settings.llm_timeout_s,
                settings.llm_max_tokens,
            )
        return cls(settings, store, embedder, llm, parser)

    async def aclose(self) -> None:
        self.jobs.stop()
        for lane in self._lanes.values():
            lane.shutdown(wait=True, cancel_futures=True)
        self.parser.close()
        if self.llm:
            await self.llm.aclose()
        if isinstance(self.embedder, RemoteEmbedder):
            self.embedder.close()
        self.store.close()

    async def offload(self, lane: Lane, work: Callable[..., T], *args: Any) -> T:
        """Run blocking `work(*args)` on the lane's threads, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._lanes[lane], functools.partial(work, *args))

    # -- ingestion ---------------------------------------------------------------------

    def prepare_uploads(
        self, uploads: list[Upload], title: str = "", metadata: dict[str, Any] | None = None
    ) -> list[PreparedDocument]:
        if not uploads:
            raise InvalidInputError("no file in the upload", hint="send files in the 'files' field")
        # Every file is parsed before any is stored: one bad file stores nothing.
        only_one = len(uploads) == 1
        return [
            self.ingestor.prepare_upload(u, title if only_one else "", metadata) for u in uploads
        ]

    def prepare_text(
        self, text: str, title: str = "", metadata: dict[str, Any] | None = None
    ) -> PreparedDocument:
        return self.ingestor.prepare_text(text, title, metadata)

    def is_big(self, documents: list[PreparedDocument]) -> bool:
        total = sum(len(d.source.text) for d in documents)
        return total > self.settings.background_ingest_chars

    def ingest_now(self, documents: list[PreparedDocument]) -> list[IngestResult]:
        return [self.ingestor.ingest(document) for document in documents]

    def ingest_later(self, documents: list[PreparedDocument]) -> JobRecord:
        return self.jobs.submit(documents)

    # -- documents and jobs --------------------------------------------------------------

    def list_documents(self, limit: int, offset: int) -> tuple[list[DocumentRecord], int]:
        return self.store.list_documents(limit, offset)

    def get_document(self, document_id: str) -> DocumentRecord:
        return self.store.get_document(document_id)

    def list_chunks(
        self, document_id: str, limit: int, offset: int
    ) -> tuple[DocumentRecord, list[StoredChunk]]:
        document = self.store.get_document(document_id)
        return document, self.store.list_chunks(document_id, limit, offset)

    def delete_document(self, document_id: str) -> None:
        self.store.delete_document(document_id)

    def get_job(self, job_id: str) -> JobRecord:
        return self.jobs.get(job_id)

    # -- retrieval and answers -------------------------------------------------------------

    def retrieve(
        self,
        query: str,
        top_k: int,
        mode: SearchMode = SearchMode.HYBRID,
        filters: Filters | None = None,
    ) -> list[Hit]:
        if not query.strip():
            raise InvalidInputError("the query is empty", hint="send a question or keywords")
        return self.retriever.retrieve(query, top_k, mode, filters)

    async def answer(
        self,
        question: str,
        top_k: int,
        filters: Filters | None = None,
        history: list[Message] | None = None,
        search_mode: SearchMode = SearchMode.HYBRID,
        **options: Any,
    ) -> Answer:
        hits = await self.offload("search", self.retrieve, question, top_k, search_mode, filters)
        if self.llm is None or not hits:
            text = await self.offload("search", extractive_answer, question, hits, self.embedder)
            return Answer(
                text, "extractive", EXTRACTIVE_MODEL, hits, cited_numbers(text, len(hits))
            )
        messages = grounded_messages(question, hits, _recent(history))
        text = await self.llm.complete(messages, **options)
        return Answer(text, "llm", self.llm.model, hits, cited_numbers(text, len(hits)))

    async def stream_answer(
        self,
        question: str,
        top_k: int,
        filters: Filters | None = None,
        history: list[Message] | None = None,
        search_mode: SearchMode = SearchMode.HYBRID,
        **options: Any,
    ) -> AnswerStream:
        hits = await self.offload("search", self.retrieve, question, top_k, search_mode, filters)
        if self.llm is None or not hits:
            text = await self.offload("search", extractive_answer, question, hits, self.embedder)
            return AnswerStream("extractive", EXTRACTIVE_MODEL, hits, _once(text))
        messages = grounded_messages(question, hits, _recent(history))
        deltas = await self.llm.stream(messages, **options)
        return AnswerStream("llm", self.llm.model, hits, deltas)

    @property
    def model_name(self) -> str:
        return self.llm.model if self.llm else EXTRACTIVE_MODEL


def _never_wait(problem: StoreUnavailableError) -> bool:
    return False


def open_store(settings: Settings, embedder: Embedder, wait: DatabaseWait) -> Store:
    """The configured store: Postgres when RAG_DATABASE_URL is set, else the embedded one."""
    segmenter = Segmenter(settings.keyword_user_dict)
    if not settings.postgres:
        settings.storage_dir.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(
            settings.database_path,
            embedder.dimension,
            AnnParams(
                embedder.dimension,
                expansion_search=settings.ann_ef_search,
                exact=settings.dense_exact,
            ),
            settings.ann_save_seconds,
            segmenter=segmenter,
            model=embedder.name,
        )
    while True:
        try:
            return PostgresStore.connect(
                settings.database_url.get_secret_value(),
                settings.database_pool_size,
                embedder.dimension,
                settings.ann_ef_search,
                segmenter,
                embedder.name,
            )
        except StoreUnavailableError as exc:
            if not wait(exc):
                raise


def _parse_limits(settings: Settings) -> ParseLimits:
    return ParseLimits(
        max_chars=settings.max_document_chars,
        max_inflated_bytes=settings.parse_max_inflated_mb * MB,
        max_compression_ratio=settings.parse_max_compression_ratio,
        pdf_max_pages=settings.pdf_max_pages,
        pdf_max_objects=settings.pdf_max_objects,
        memory_mb=settings.parse_memory_mb,
        cpu_seconds=settings.parse_cpu_seconds,
    )


def _recent(history: list[Message] | None) -> list[Message]:
    return [m for m in history or [] if m.get("role") in ("user", "assistant")][-HISTORY_MESSAGES:]
