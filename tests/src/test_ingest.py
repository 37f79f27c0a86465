"""Ingestion with the real model and store: chunks fit the model with the title in front,
and the title is embedded and indexed without being stored in the chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.embedding import OnnxEmbedder
from src.ingest import Ingestor
from src.models import Filters
from src.parsing import extract_text
from src.store.sqlite.store import SQLiteStore

# Technical text tokenises into many word pieces per character: 1,000 characters of it
# are well past 256 tokens.
TECHNICAL = "\n\n".join(
    f"Set RAG_OPT_{n}=0x{n:04x}ffee in k8s/overlays/prod-{n}.yaml; then run "
    f"`kubectl rollout restart deploy/rag-api-{n}` and check /v1/metrics?shard={n}."
    for n in range(60)
)
TITLE = "Operations runbook for the Kubernetes deployment of the retrieval service " * 3


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(model_dir)


def _ingestor(store: SQLiteStore, embedder: OnnxEmbedder, tokens: int = 256) -> Ingestor:
    return Ingestor(store, embedder, tokens, 32, 4, extract_text, 1_000_000)


def test_prepare_text_chunks_fit_the_model_with_the_title(
    embedder: OnnxEmbedder, tmp_path: Path
) -> None:
    ingestor = _ingestor(SQLiteStore(tmp_path / "rag.sqlite3", embedder.dimension), embedder)
    prepared = ingestor.prepare_text(TECHNICAL, title=TITLE)
    assert len(prepared.chunks) > 1 and TITLE.startswith(prepared.prefix)
    for chunk in prepared.chunks:
        assert TECHNICAL[chunk.start : chunk.end] == chunk.text
        embedded = f"{prepared.prefix}\n{chunk.text}"
        assert len(embedder.token_spans(embedded)) + 2 <= embedder.max_tokens


def test_title_is_embedded_and_indexed_not_stored(embedder: OnnxEmbedder, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rag.sqlite3", embedder.dimension)
    ingestor = _ingestor(store, embedder)
    body = "The schedule lists what arrives on which day, and who signs for it."
    titled = ingestor.ingest(ingestor.prepare_text(body, title="Zanzibar clove shipments"))
    for n in range(5):
        other = f"Entry {n}: the schedule lists what arrives on which day, and who signs."
        ingestor.ingest(ingestor.prepare_text(other, title=f"Ledger {n}"))
    keyword = store.hydrate(store.keyword_search("zanzibar", 5, Filters()))
    assert [hit.document_id for hit in keyword] == [titled.document.id]
    assert "Zanzibar" not in keyword[0].text
    query = embedder.embed(["clove shipments to Zanzibar"])[0]
    dense = store.hydrate(store.dense_search(query, 1, Filters()))
    assert dense[0].document_id == titled.document.id
