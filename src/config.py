"""The service's one settings class, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from src.secret_refs import Resolver

# First-stage hits the reranker reads by default: see bench/rerank.py for the latency
# of more.
RERANK_CANDIDATES = 30


def _env(name: str) -> AliasChoices:
    # Accept the documented upper-case variable and the field name (handy in tests).
    return AliasChoices(name, name.lower())


class _Referenced(PydanticBaseSettingsSource):
    """A settings source whose `ssm:` and `secretsmanager:` values are read from AWS."""

    def __init__(
        self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource, by: Resolver
    ) -> None:
        super().__init__(settings_cls)
        self._inner, self._resolver = inner, by

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)  # not called: __call__ is

    def __call__(self) -> dict[str, Any]:
        return self._resolver.resolve_all(self._inner())


class Settings(BaseSettings):
    """Every setting, documented one-for-one in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field("0.0.0.0", validation_alias=_env("RAG_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("RAG_PORT"))
    storage_dir: Path = Field(Path("rag_local_storage"), validation_alias=_env("RAG_STORAGE_DIR"))
    model_dir: Path = Field(Path("models/all-MiniLM-L6-v2"), validation_alias=_env("RAG_MODEL_DIR"))
    local_model: str = Field(
        "", pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*)?$", validation_alias=_env("RAG_LOCAL_MODEL")
    )
    api_keys_csv: SecretStr = Field(SecretStr(""), validation_alias=_env("RAG_API_KEYS"))
    max_upload_mb: float = Field(50.0, gt=0, validation_alias=_env("RAG_MAX_UPLOAD_MB"))
    max_request_kb: int = Field(
        1024, ge=16, le=1_048_576, validation_alias=_env("RAG_MAX_REQUEST_KB")
    )
    max_document_chars: int = Field(
        5_000_000, ge=1_000, validation_alias=_env("RAG_MAX_DOCUMENT_CHARS")
    )
    parse_workers: int = Field(2, ge=1, le=64, validation_alias=_env("RAG_PARSE_WORKERS"))
    parse_memory_mb: int = Field(1024, ge=256, validation_alias=_env("RAG_PARSE_MEMORY_MB"))
    parse_cpu_seconds: int = Field(60, ge=1, validation_alias=_env("RAG_PARSE_CPU_SECONDS"))
    parse_max_inflated_mb: int = Field(
        256, ge=1, validation_alias=_env("RAG_PARSE_MAX_INFLATED_MB")
    )
    parse_max_compression_ratio: int = Field(
        100, ge=2, validation_alias=_env("RAG_PARSE_MAX_COMPRESSION_RATIO")
    )
    pdf_max_pages: int = Field(5_000, ge=1, validation_alias=_env("RAG_PDF_MAX_PAGES"))
    pdf_max_objects: int = Field(1_000_000, ge=100, validation_alias=_env("RAG_PDF_MAX_OBJECTS"))
    table_max_rows: int = Field(200_000, ge=1, validation_alias=_env("RAG_TABLE_MAX_ROWS"))
    table_max_columns: int = Field(1_000, ge=1, validation_alias=_env("RAG_TABLE_MAX_COLUMNS"))
    table_max_cell_chars: int = Field(
        32_767, ge=100, validation_alias=_env("RAG_TABLE_MAX_CELL_CHARS")
    )
    mail_max_parts: int = Field(100, ge=1, validation_alias=_env("RAG_MAIL_MAX_PARTS"))
    ocr: bool = Field(True, validation_alias=_env("RAG_OCR"))
    ocr_languages: str = Field(
        "eng+chi_sim", pattern=r"^[a-z_]+(\+[a-z_]+)*$", validation_alias=_env("RAG_OCR_LANGUAGES")
    )
    ocr_max_pixels: int = Field(
        64_000_000, ge=1_000_000, validation_alias=_env("RAG_OCR_MAX_PIXELS")
    )
    ocr_max_pages: int = Field(100, ge=1, validation_alias=_env("RAG_OCR_MAX_PAGES"))
    ocr_page_seconds: int = Field(60, ge=5, validation_alias=_env("RAG_OCR_PAGE_SECONDS"))
    ocr_seconds: int = Field(600, ge=5, validation_alias=_env("RAG_OCR_SECONDS"))
    # Off by default: an upgrade must not give every key that may upload a way to make the
    # service fetch from the network; turning it on is the operator's egress decision.
    url_ingest: bool = Field(False, validation_alias=_env("RAG_URL_INGEST"))
    url_allow: str = Field("", max_length=10_000, validation_alias=_env("RAG_URL_ALLOW"))
    url_timeout_s: float = Field(30.0, gt=0, le=600, validation_alias=_env("RAG_URL_TIMEOUT_S"))
    search_threads: int = Field(8, ge=1, le=256, validation_alias=_env("RAG_SEARCH_THREADS"))
    ingest_threads: int = Field(2, ge=1, le=64, validation_alias=_env("RAG_INGEST_THREADS"))
    ann_ef_search: int = Field(256, ge=16, le=4096, validation_alias=_env("RAG_ANN_EF_SEARCH"))
    dense_exact: bool = Field(False, validation_alias=_env("RAG_DENSE_EXACT"))
    ann_save_seconds: float = Field(60.0, gt=0, validation_alias=_env("RAG_ANN_SAVE_SECONDS"))
    max_queued_jobs: int = Field(16, ge=1, validation_alias=_env("RAG_MAX_QUEUED_JOBS"))
    background_ingest_chars: int = Field(
        50_000, ge=0, validation_alias=_env("RAG_BACKGROUND_INGEST_CHARS")
    )
    chunk_tokens: int = Field(256, ge=64, le=8192, validation_alias=_env("RAG_CHUNK_TOKENS"))
    chunk_overlap_tokens: int = Field(
        32, ge=0, le=1024, validation_alias=_env("RAG_CHUNK_OVERLAP_TOKENS")
    )
    embed_title: bool = Field(True, validation_alias=_env("RAG_EMBED_TITLE"))
    embed_threads: int = Field(0, ge=0, le=256, validation_alias=_env("RAG_EMBED_THREADS"))
    embed_batch_size: int = Field(4, ge=1, le=1024, validation_alias=_env("RAG_EMBED_BATCH_SIZE"))
    database_url: SecretStr = Field(SecretStr(""), validation_alias=_env("RAG_DATABASE_URL"))
    database_pool_size: int = Field(
        10, ge=1, le=1000, validation_alias=_env("RAG_DATABASE_POOL_SIZE")
    )
    job_lease_s: float = Field(30.0, ge=1, le=3600, validation_alias=_env("RAG_JOB_LEASE_S"))
    keyword_user_dict: Path | None = Field(None, validation_alias=_env("RAG_KEYWORD_USER_DICT"))
    default_top_k: int = Field(5, ge=1, le=100, validation_alias=_env("RAG_DEFAULT_TOP_K"))
    llm_base_url: str = Field("", validation_alias=_env("LLM_BASE_URL"))
    llm_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("LLM_API_KEY"))
    llm_model: str = Field("", validation_alias=_env("LLM_MODEL"))
    llm_timeout_s: float = Field(60.0, gt=0, validation_alias=_env("LLM_TIMEOUT_S"))
    llm_max_tokens: int = Field(512, ge=1, validation_alias=_env("LLM_MAX_TOKENS"))
    embedding_base_url: str = Field("", validation_alias=_env("RAG_EMBEDDING_BASE_URL"))
    embedding_api_key: SecretStr = Field(
        SecretStr(""), validation_alias=_env("RAG_EMBEDDING_API_KEY")
    )
    embedding_model: str = Field("", validation_alias=_env("RAG_EMBEDDING_MODEL"))
    embedding_timeout_s: float = Field(30.0, gt=0, validation_alias=_env("RAG_EMBEDDING_TIMEOUT_S"))
    embedding_retries: int = Field(3, ge=0, le=10, validation_alias=_env("RAG_EMBEDDING_RETRIES"))
    embedding_batch_size: int = Field(
        64, ge=1, le=2048, validation_alias=_env("RAG_EMBEDDING_BATCH_SIZE")
    )
    embedding_max_tokens: int = Field(
        512, ge=64, le=32768, validation_alias=_env("RAG_EMBEDDING_MAX_TOKENS")
    )
    embedding_query_prefix: str = Field("", validation_alias=_env("RAG_EMBEDDING_QUERY_PREFIX"))
    embedding_passage_prefix: str = Field("", validation_alias=_env("RAG_EMBEDDING_PASSAGE_PREFIX"))
    embedding_languages: str = Field("*", validation_alias=_env("RAG_EMBEDDING_LANGUAGES"))
    rerank_base_url: str = Field("", validation_alias=_env("RAG_RERANK_BASE_URL"))
    rerank_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("RAG_RERANK_API_KEY"))
    rerank_model: str = Field("", validation_alias=_env("RAG_RERANK_MODEL"))
    rerank_api: Literal["cohere", "tei"] = Field("cohere", validation_alias=_env("RAG_RERANK_API"))
    rerank_candidates: int = Field(
        RERANK_CANDIDATES, ge=1, le=100, validation_alias=_env("RAG_RERANK_CANDIDATES")
    )
    rerank_batch_size: int = Field(
        32, ge=1, le=1024, validation_alias=_env("RAG_RERANK_BATCH_SIZE")
    )
    rerank_timeout_s: float = Field(5.0, gt=0, validation_alias=_env("RAG_RERANK_TIMEOUT_S"))
    rerank_retries: int = Field(1, ge=0, le=10, validation_alias=_env("RAG_RERANK_RETRIES"))
    log_level: str = Field("info", validation_alias=_env("RAG_LOG_LEVEL"))
    debug: bool = Field(False, validation_alias=_env("RAG_DEBUG"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment and .env may hold references; what code passes in is taken as is.
        resolver = Resolver()
        return (
            init_settings,
            _Referenced(settings_cls, env_settings, resolver),
            _Referenced(settings_cls, dotenv_settings, resolver),
            file_secret_settings,
        )

    @field_validator("keyword_user_dict", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _keys_fail_closed(self) -> Settings:
        # A list that is set but yields no key must never mean "no auth": refuse to start.
        if self.api_keys_csv.get_secret_value().strip() and not self.api_keys:
            raise ValueError(
                "RAG_API_KEYS is set but holds no usable key (only commas and spaces); "
                "set at least one key, or leave it empty to run without auth"
            )
        return self

    @property
    def local_model_dir(self) -> Path:
        """The local model's folder: RAG_LOCAL_MODEL names one beside RAG_MODEL_DIR's."""
        return self.model_dir.parent / self.local_model if self.local_model else self.model_dir

    @property
    def api_keys(self) -> tuple[str, ...]:
        raw = self.api_keys_csv.get_secret_value()
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_kb * 1024

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def embedding_remote(self) -> bool:
        return bool(self.embedding_base_url and self.embedding_model)

    @property
    def rerank_configured(self) -> bool:
        return bool(self.rerank_base_url)

    @property
    def postgres(self) -> bool:
        return bool(self.database_url.get_secret_value())


@lru_cache
def get_settings() -> Settings:
    return Settings()
