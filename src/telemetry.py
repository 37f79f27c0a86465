"""Prometheus metrics the core records; the HTTP layer adds request metrics and serves them."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CHUNKS_INGESTED = Counter("rag_ingested_chunks", "Chunks embedded and stored.", registry=REGISTRY)
DOCUMENTS_INGESTED = Counter(
    "rag_ingested_documents", "Documents stored (duplicates not counted).", registry=REGISTRY
)
INGEST_SECONDS = Histogram(
    "rag_ingest_seconds",
    "Time to chunk, embed and store one document.",
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
INGEST_THROUGHPUT = Gauge(
    "rag_ingest_chunks_per_second",
    "Chunks per second of the last ingested document.",
    registry=REGISTRY,
)
RERANK_FAILURES = Counter(
    "rag_rerank_failures",
    "Requests answered in first-stage order because the reranker failed.",
    ["kind"],
    registry=REGISTRY,
)
LLM_ERRORS = Counter(
    "rag_llm_errors", "Failed calls to the language model.", ["kind"], registry=REGISTRY
)
