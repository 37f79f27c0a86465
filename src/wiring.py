"""Start-up wiring: the configured embedding model, store, parser workers, text segmenter
and language model, put together into the service. The slow part of start-up."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

from src.config import Settings
from src.e5_embedding import E5_RUNTIME, E5Embedder
from src.embedding import Embedder, ModelManifest, OnnxEmbedder, measuring_tokenizer, spans_of
from src.errors import StoreError, StoreUnavailableError
from src.generation import ChatModel
from src.parsing import ParseLimits
from src.parsing.limits import MB
from src.parsing.pool import ParserPool
from src.remote_embedding import RemoteEmbedder
from src.reranking import Reranker, RerankStage
from src.service import RagService
from src.store import Backend, Location, StoreOptions, open_store, recorded_space
from src.text.segmentation import Segmenter

# The int8 export of a model lies beside it, named after it (model_export/quantize.py).
INT8_SUFFIX = "-int8"

T = TypeVar("T")

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
        embedder = load_embedder(settings, recorded_model(settings, wait))
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


def load_embedder(settings: Settings, recorded: str | None = None) -> Embedder:
    """The configured OpenAI-compatible endpoint, or else the chosen local model (`recorded`:
    the model the store holds vectors of)."""
    if not settings.embedding_remote:
        return load_local_model(settings, recorded)
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


def load_local_model(settings: Settings, recorded: str | None = None) -> Embedder:
    """The chosen local model (local_model_folder): an ONNX export, or the e5 engine's."""
    folder = local_model_folder(settings, recorded)
    batch, threads = settings.embed_batch_size, settings.embed_threads
    if ModelManifest.read(folder).runtime == E5_RUNTIME:
        return E5Embedder.load(folder, measuring_tokenizer(settings.model_dir), batch, threads)
    return OnnxEmbedder.load(folder, batch, threads)


def local_model_folder(settings: Settings, recorded: str | None) -> Path:
    """RAG_LOCAL_MODEL's folder. Unset: the local model the store already holds vectors of
    (`recorded`), so that a new default never strands an existing store; else the int8
    export beside RAG_MODEL_DIR's model (as good, faster: bench ablation); else that model."""
    if settings.local_model:
        return settings.local_model_dir
    if recorded and _is_model(settings.model_dir, recorded):
        return settings.model_dir
    for name in (recorded, f"{settings.model_dir.name}{INT8_SUFFIX}"):
        if name and _is_model(settings.model_dir.parent / name, name):
            return settings.model_dir.parent / name
    return settings.model_dir


def _is_model(folder: Path, name: str) -> bool:
    manifest = folder / "manifest.json"
    return manifest.is_file() and ModelManifest.read(folder).name == name


def recorded_model(settings: Settings, wait: DatabaseWait = _never_wait) -> str | None:
    """The model the store holds vectors of, when the local model is left to the service to
    choose (None: a new store, or the model is configured)."""
    if settings.local_model or settings.embedding_remote:
        return None
    try:
        space = _waiting(lambda: recorded_space(store_location(settings)), wait)
    except StoreUnavailableError:
        raise
    except StoreError:  # no store yet; any other fault is open_store's to report
        return None
    return space.model if space else None


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
        owned=True,
    )


def open_backend(settings: Settings, options: StoreOptions, wait: DatabaseWait) -> Backend:
    """The configured store; a database that cannot be reached is tried again while `wait`
    says so."""
    return _waiting(lambda: open_store(store_location(settings), options), wait)


def _waiting(action: Callable[[], T], wait: DatabaseWait) -> T:
    """The action's result, tried again while the database cannot be reached and `wait`
    says so."""
    while True:
        try:
            return action()
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
        table_max_rows=settings.table_max_rows,
        table_max_columns=settings.table_max_columns,
        table_max_cell_chars=settings.table_max_cell_chars,
        mail_max_parts=settings.mail_max_parts,
        ocr=settings.ocr,
        ocr_languages=settings.ocr_languages,
        ocr_max_pixels=settings.ocr_max_pixels,
        ocr_max_pages=settings.ocr_max_pages,
        ocr_page_seconds=settings.ocr_page_seconds,
        ocr_seconds=settings.ocr_seconds,
        memory_mb=settings.parse_memory_mb,
        cpu_seconds=settings.parse_cpu_seconds,
    )
