"""Start-up wiring: the configured embedding model, store, parser workers, text segmenter
and language model, put together into the service. The slow part of start-up."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack

from src.config import Settings
from src.e5_embedding import E5_RUNTIME, E5Embedder
from src.embedding import Embedder, ModelManifest, OnnxEmbedder, measuring_tokenizer, spans_of
from src.errors import StoreUnavailableError
from src.generation import ChatModel
from src.parsing import ParseLimits
from src.parsing.limits import MB
from src.parsing.pool import ParserPool
from src.remote_embedding import RemoteEmbedder
from src.reranking import Reranker, RerankStage
from src.service import RagService
from src.store import Backend, Location, StoreOptions, open_store
from src.text.segmentation import Segmenter

# Told why the database cannot be reached at start-up; True: try again.
DatabaseWait = Callable[[StoreUnavailableError], bool]


def _never_wait(problem: StoreUnavailableError) -> bool:
    return False


def open_service(settings: Settings, wait: DatabaseWait = _never_wait) -> RagService:
    """Load the model and open the store. `wait` is told each time the database cannot be
    reached yet and says whether to try again."""
    # The parser workers start first: they import their libraries while the model loads.
    parser = ParserPool(parse_limits(settings), settings.parse_workers)
    with ExitStack() as opened:  # everything opened so far is closed if a later step fails
        opened.callback(parser.close)
        embedder = load_embedder(settings)
        opened.callback(embedder.close)
        segmenter = load_segmenter(settings)
        backend = open_backend(settings, store_options(settings, embedder, segmenter), wait)
        opened.callback(backend.close)
        stage = rerank_stage(settings)
        opened.callback(stage.close)
        service = RagService(
            settings, backend, embedder, chat_model(settings), parser, segmenter, stage
        )
        opened.pop_all()
    return service


def load_embedder(settings: Settings) -> Embedder:
    """The configured OpenAI-compatible endpoint, or else the chosen local model."""
    if not settings.embedding_remote:
        return load_local_model(settings)
    # A served model's tokens are measured with the bundled model's tokenizer.
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


def load_local_model(settings: Settings) -> Embedder:
    """The local model RAG_LOCAL_MODEL names: an ONNX export, or the e5 engine's folder."""
    folder = settings.local_model_dir
    batch, threads = settings.embed_batch_size, settings.embed_threads
    if ModelManifest.read(folder).runtime == E5_RUNTIME:
        return E5Embedder.load(folder, measuring_tokenizer(settings.model_dir), batch, threads)
    return OnnxEmbedder.load(folder, batch, threads)


def load_segmenter(settings: Settings) -> Segmenter:
    """The one segmenter that splits text for the keyword index and the extractive answer."""
    return Segmenter(settings.keyword_user_dict)


def store_location(settings: Settings) -> Location:
    """RAG_DATABASE_URL when set, else the storage folder RAG_STORAGE_DIR."""
    if settings.postgres:
        return settings.database_url.get_secret_value()
    return settings.storage_dir


def store_options(settings: Settings, embedder: Embedder, segmenter: Segmenter) -> StoreOptions:
    return StoreOptions(
        dimension=embedder.dimension,
        model=embedder.name,
        segmenter=segmenter,
        ef_search=settings.ann_ef_search,
        dense_exact=settings.dense_exact,
        save_seconds=settings.ann_save_seconds,
        pool_size=settings.database_pool_size,
    )


def open_backend(settings: Settings, options: StoreOptions, wait: DatabaseWait) -> Backend:
    """The configured store; a database that cannot be reached is tried again while `wait`
    says so."""
    while True:
        try:
            return open_store(store_location(settings), options)
        except StoreUnavailableError as exc:
            if not wait(exc):
                raise


def chat_model(settings: Settings) -> ChatModel | None:
    if not settings.llm_configured:
        return None
    return ChatModel(
        settings.llm_base_url,
        settings.llm_api_key.get_secret_value(),
        settings.llm_model,
        settings.llm_timeout_s,
        settings.llm_max_tokens,
    )


def rerank_stage(settings: Settings) -> RerankStage:
    """The configured reranker (none: hits keep their first-stage order)."""
    reranker = None
    if settings.rerank_configured:
        reranker = Reranker.connect(
            settings.rerank_base_url,
            settings.rerank_api_key.get_secret_value(),
            settings.rerank_timeout_s,
            settings.rerank_model,
            api=settings.rerank_api,
            batch_size=settings.rerank_batch_size,
            retries=settings.rerank_retries,
        )
    return RerankStage(reranker, settings.rerank_candidates)


def parse_limits(settings: Settings) -> ParseLimits:
    return ParseLimits(
        max_chars=settings.max_document_chars,
        max_inflated_bytes=settings.parse_max_inflated_mb * MB,
        max_compression_ratio=settings.parse_max_compression_ratio,
        pdf_max_pages=settings.pdf_max_pages,
        pdf_max_objects=settings.pdf_max_objects,
        memory_mb=settings.parse_memory_mb,
        cpu_seconds=settings.parse_cpu_seconds,
    )
