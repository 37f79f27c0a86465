"""Retriever over the embedded store with the hashed embedder: keyword, dense and hybrid
search, their fusion, the rule for CJK queries a model cannot read, and filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hashed_embedder import HashedEmbedder

from src.ingest import content_hash
from src.models import ChunkRow, Filters, JsonScalar, SearchMode, SourceDocument
from src.retrieval import (
    DENSE_WEIGHT,
    RRF_K,
    Retriever,
    convex_fusion,
    reciprocal_rank_fusion,
)
from src.store import Backend, StoreOptions, open_store

GOATS = "Alpine goats graze on steep meadows in summer."
CRANE = "The harbour crane lifts steel containers onto ships."
BARN = "Goats and sheep share the winter barn."
BEIJING = "北京是中国的首都，也是一座历史悠久的城市。"
CORPUS: dict[str, tuple[str, dict[str, JsonScalar]]] = {
    "goats": (GOATS, {"topic": "farm"}),
    "crane": (CRANE, {"topic": "port"}),
    "barn": (BARN, {"topic": "farm"}),
    "beijing": (BEIJING, {"topic": "city"}),
}


@pytest.fixture()
def backend(tmp_path: Path) -> Iterator[Backend]:
    opened = open_store(tmp_path, StoreOptions(64, model="hashed-bow"))
    yield opened
    opened.close()


@pytest.fixture()
def ids(backend: Backend) -> dict[str, str]:
    """The corpus stored one chunk per document, titled by its key: key -> document id."""
    stored = {}
    embedder = HashedEmbedder()
    for key, (text, metadata) in CORPUS.items():
        source = SourceDocument(text, key, content_hash(text), "text/plain", metadata=metadata)
        chunks = [ChunkRow(0, text, 0, len(text))]
        record = backend.store.add_document(source, chunks, embedder.embed([text])).record
        stored[key] = record.id
    return stored


def _documents(
    retriever: Retriever, query: str, mode: SearchMode, filters: Filters | None = None
) -> list[str]:
    return [hit.document_id for hit in retriever.retrieve(query, 4, mode, filters)]


def test_retrieve_keyword_returns_only_chunks_with_the_terms(
    backend: Backend, ids: dict[str, str]
) -> None:
    retriever = Retriever(backend.store, HashedEmbedder())
    assert _documents(retriever, "harbour crane", SearchMode.KEYWORD) == [ids["crane"]]
    assert set(_documents(retriever, "goats", SearchMode.KEYWORD)) == {ids["goats"], ids["barn"]}


def test_retrieve_keyword_does_not_embed_the_query(backend: Backend, ids: dict[str, str]) -> None:
    embedder = HashedEmbedder()
    Retriever(backend.store, embedder).retrieve("goats", 3, SearchMode.KEYWORD)
    assert embedder.calls == []


def test_retrieve_dense_ranks_by_cosine(backend: Backend, ids: dict[str, str]) -> None:
    embedder = HashedEmbedder()
    hits = Retriever(backend.store, embedder).retrieve(
        "steel containers ships", 4, SearchMode.DENSE
    )
    assert hits[0].document_id == ids["crane"]
    expected = float(embedder.vector("steel containers ships") @ embedder.vector(CRANE))
    assert hits[0].score == pytest.approx(expected, abs=1e-5)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert embedder.calls == [(["steel containers ships"], True)]


def test_retrieve_dense_returns_chunks_sharing_no_term(
    backend: Backend, ids: dict[str, str]
) -> None:
    retriever = Retriever(backend.store, HashedEmbedder())
    assert len(_documents(retriever, "harbour crane", SearchMode.DENSE)) == len(CORPUS)
    assert _documents(retriever, "harbour crane", SearchMode.KEYWORD) == [ids["crane"]]


def test_retrieve_hybrid_fuses_both_rankings(backend: Backend, ids: dict[str, str]) -> None:
    embedder = HashedEmbedder()
    hits = Retriever(backend.store, embedder).retrieve("harbour crane", 4, SearchMode.HYBRID)
    # First in both rankings: the best score of each, scaled to 1, weighted.
    assert hits[0].document_id == ids["crane"]
    assert hits[0].score == pytest.approx(1.0)
    # The rest come from the dense ranking alone (no term in common): at most its weight.
    assert len(hits) == len(CORPUS)
    assert all(hit.score <= DENSE_WEIGHT + 1e-6 for hit in hits[1:])
    assert len(embedder.calls) == 1


def test_retrieve_hybrid_keeps_top_k(backend: Backend, ids: dict[str, str]) -> None:
    hits = Retriever(backend.store, HashedEmbedder()).retrieve("goats", 2, SearchMode.HYBRID)
    assert {hit.document_id for hit in hits} == {ids["goats"], ids["barn"]}


def test_convex_fusion_scales_each_ranking_then_weighs_it() -> None:
    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]
    keyword = [(2, 12.0), (4, 4.0)]
    fused = dict(convex_fusion([dense, keyword], [0.3, 0.7], [None, None]))
    assert fused[2] == pytest.approx(0.3 * 0.5 + 0.7 * 1.0)  # (0.5 - 0.1) / (0.9 - 0.1)
    assert fused[1] == pytest.approx(0.3)
    assert fused[4] == pytest.approx(0.0) and fused[3] == pytest.approx(0.0)
    ranked = convex_fusion([dense, keyword], [0.3, 0.7], [None, None])
    assert [chunk_id for chunk_id, _ in ranked][:2] == [2, 1]


def test_convex_fusion_with_floors_scales_from_them() -> None:
    fused = dict(convex_fusion([[(1, 0.5), (2, 0.0)]], [1.0], [-1.0]))
    assert fused == {1: pytest.approx(1.0), 2: pytest.approx(1.0 / 1.5)}


def test_convex_fusion_ranking_of_one_counts_it_as_the_best() -> None:
    assert convex_fusion([[(7, 3.0)], []], [0.3, 0.7], [None, None]) == [(7, pytest.approx(0.3))]


def test_reciprocal_rank_fusion_ranks_items_in_both_lists_first() -> None:
    fused = reciprocal_rank_fusion([[(1, 0.9), (2, 0.8)], [(3, 9.0), (2, 5.0)]])
    assert [chunk_id for chunk_id, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / (RRF_K + 2) * 2)
    assert fused[1][1] == pytest.approx(1 / (RRF_K + 1))


def test_reciprocal_rank_fusion_ignores_the_scores_only_ranks() -> None:
    fused = reciprocal_rank_fusion([[(1, 0.001), (2, 1000.0)]], k=1)
    assert fused == [(1, pytest.approx(1 / 2)), (2, pytest.approx(1 / 3))]


def test_reciprocal_rank_fusion_weights_each_ranking() -> None:
    rankings = [[(1, 0.0), (2, 0.0)], [(2, 0.0), (1, 0.0)]]
    assert [c for c, _ in reciprocal_rank_fusion(rankings, weights=[0.9, 0.1])] == [1, 2]
    assert [c for c, _ in reciprocal_rank_fusion(rankings, weights=[0.1, 0.9])] == [2, 1]
    only_first = reciprocal_rank_fusion(rankings, k=10, weights=[1.0, 0.0])
    assert only_first == [(1, pytest.approx(1 / 11)), (2, pytest.approx(1 / 12))]


def test_reciprocal_rank_fusion_with_weights_of_another_length_raises() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[(1, 0.0)], [(2, 0.0)]], weights=[1.0])


def test_retrieve_hybrid_cjk_query_with_unread_language_is_keyword_only(
    backend: Backend, ids: dict[str, str]
) -> None:
    embedder = HashedEmbedder(languages=("en",))
    retriever = Retriever(backend.store, embedder)
    hybrid = retriever.retrieve("北京的首都", 4, SearchMode.HYBRID)
    keyword = retriever.retrieve("北京的首都", 4, SearchMode.KEYWORD)
    assert hybrid == keyword
    assert [hit.document_id for hit in hybrid] == [ids["beijing"]]
    assert embedder.calls == []


@pytest.mark.parametrize("languages", [("*",), ("en", "zh"), ("ja",)])
def test_retrieve_hybrid_cjk_query_with_read_language_fuses(
    backend: Backend, ids: dict[str, str], languages: tuple[str, ...]
) -> None:
    embedder = HashedEmbedder(languages=languages)
    hits = Retriever(backend.store, embedder).retrieve("北京的首都", 4, SearchMode.HYBRID)
    assert len(embedder.calls) == 1
    assert hits[0].document_id == ids["beijing"]
    assert hits[0].score <= 1.0 + 1e-6  # a fused score, not a BM25 one
    assert len(hits) == len(CORPUS)  # the dense ranking brought the rest


def test_retrieve_hybrid_mostly_latin_query_fuses_with_english_model(
    backend: Backend, ids: dict[str, str]
) -> None:
    embedder = HashedEmbedder(languages=("en",))
    Retriever(backend.store, embedder).retrieve("Beijing 北京 capital city", 4, SearchMode.HYBRID)
    assert len(embedder.calls) == 1


@pytest.mark.parametrize("mode", list(SearchMode))
def test_retrieve_with_document_filter_returns_only_that_document(
    backend: Backend, ids: dict[str, str], mode: SearchMode
) -> None:
    retriever = Retriever(backend.store, HashedEmbedder())
    filters = Filters(document_ids=(ids["barn"],))
    assert _documents(retriever, "goats", mode, filters=filters) == [ids["barn"]]


@pytest.mark.parametrize("mode", list(SearchMode))
def test_retrieve_with_metadata_filter_returns_only_matching_documents(
    backend: Backend, ids: dict[str, str], mode: SearchMode
) -> None:
    retriever = Retriever(backend.store, HashedEmbedder())
    filters = Filters(metadata=(("topic", "farm"),))
    found = _documents(retriever, "goats graze in the barn", mode, filters=filters)
    assert sorted(found) == sorted([ids["goats"], ids["barn"]])


def test_retrieve_with_filter_matching_nothing_returns_nothing(
    backend: Backend, ids: dict[str, str]
) -> None:
    retriever = Retriever(backend.store, HashedEmbedder())
    filters = Filters(metadata=(("topic", "space"),))
    for mode in SearchMode:
        assert _documents(retriever, "goats", mode, filters=filters) == []


@pytest.mark.parametrize("mode", [SearchMode.DENSE, SearchMode.HYBRID])
def test_retrieve_with_vector_uses_it_instead_of_embedding(
    backend: Backend, ids: dict[str, str], mode: SearchMode
) -> None:
    embedder = HashedEmbedder()
    vector = embedder.vector("steel containers onto ships")
    # The query's words name nothing stored: only the given vector can find the crane.
    hits = Retriever(backend.store, embedder).retrieve("zzz qqq", 4, mode, vector=vector)
    assert hits[0].document_id == ids["crane"]
    assert embedder.calls == []
