"""Retrieval quality on public BEIR sets, through the real HTTP API of a service started from
source: every corpus document uploaded as JSON text (its title, its BEIR id as metadata),
every test query sent to /v1/retrieve in each mode.

Scored as `../shared/eval/README.md` says, so the figures compare with the published anchors:
documents, not chunks (a document ranks where its best chunk does); nDCG@10 with graded gains
(gain = score); Recall@100 (here over the documents among the top 100 chunks, the most the API
returns, so a lower bound); for ArguAna a document with the query's own id is dropped.
`dense_exact` reruns dense search with the HNSW index bypassed (RAG_DENSE_EXACT), to show
what the approximate search costs in quality. `latency_<set>` times /v1/retrieve with the set's
own queries (ArguAna's are whole paragraphs) at the API's usual top_k, one client."""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.fusion import grid
from bench.report import Record, percentile
from bench.scoring import BeirSet, ndcg_at_10, ranked, recall_at_100, retrieve
from bench.serving import ROOT, _start, _stop

EVAL = ROOT.parent / "shared" / "eval"
SETS = ("nfcorpus", "arguana", "xquad-zh")
MODES = ("hybrid", "dense", "keyword")
UPLOADERS = 4
LATENCY_QUERIES = 300
LATENCY_TOP_K = 5


def _jsonl(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        query, document, grade = line.split("\t")
        if int(grade) > 0:
            qrels.setdefault(query, {})[document] = int(grade)
    return qrels


def load(name: str, subset: int | None = None) -> BeirSet:
    """The set; with `subset`, its first `subset` judged queries, and a corpus cut to their
    relevant documents plus a fixed sample of twice as many others (for CI)."""
    folder = EVAL / name
    corpus = {d["_id"]: (d.get("title", ""), d["text"]) for d in _jsonl(folder / "corpus.jsonl")}
    qrels = _qrels(folder / "qrels-test.tsv")
    queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl") if q["_id"] in qrels}
    if subset is not None:
        kept = sorted(queries)[:subset]
        queries = {q: queries[q] for q in kept}
        relevant = {d for q in kept for d in qrels[q]} & set(corpus)
        others = sorted(set(corpus) - relevant)
        sample = random.Random(5).sample(others, min(len(others), 2 * len(relevant)))  # noqa: S311
        corpus = {d: corpus[d] for d in sorted(relevant | set(sample))}
    return BeirSet(name, corpus, queries, {q: qrels[q] for q in queries})


def ingest(url: str, beir: BeirSet) -> dict[str, list[str]]:
    """Upload every document; returns the service's document id -> BEIR ids (the content
    hash dedupes identical texts into one stored document)."""

    def upload(item: tuple[str, tuple[str, str]]) -> tuple[str, str]:
        beir_id, (title, text) = item
        with httpx.Client(base_url=url, timeout=600) as http:
            body = {"text": text or title, "title": title, "metadata": {"beir_id": beir_id}}
            response = http.post("/v1/documents", json=body, params={"background": "false"})
            response.raise_for_status()
            return str(response.json()["documents"][0]["id"]), beir_id

    stored: dict[str, list[str]] = {}
    with ThreadPoolExecutor(UPLOADERS) as pool:
        for document_id, beir_id in pool.map(upload, beir.corpus.items()):
            stored.setdefault(document_id, []).append(beir_id)
    return stored


def evaluate(
    url: str, beir: BeirSet, mode: str, stored: dict[str, list[str]]
) -> tuple[float, float]:
    """Mean nDCG@10 and Recall@100 over the set's queries."""
    ndcg = recall = 0.0
    with httpx.Client(base_url=url, timeout=60) as http:
        for query_id, text in beir.queries.items():
            hits = retrieve(http, text, mode)
            ranking = ranked([document for _, document in hits], stored, query_id)
            ndcg += ndcg_at_10(ranking, beir.qrels[query_id])
            recall += recall_at_100(ranking, beir.qrels[query_id])
    return ndcg / len(beir.queries), recall / len(beir.queries)


def latency(url: str, beir: BeirSet) -> list[Record]:
    """p50 and p95 of /v1/retrieve per mode over the set's first queries, one at a time."""
    texts = list(beir.queries.values())[:LATENCY_QUERIES]
    records = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for mode in MODES:
            samples = []
            for text in texts:
                started = time.perf_counter()
                body = {"query": text, "top_k": LATENCY_TOP_K, "mode": mode}
                http.post("/v1/retrieve", json=body).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            for name, q in (("p50", 50), ("p95", 95)):
                value = round(percentile(samples, q), 2)
                records.append(Record(f"latency_{beir.name}", mode, name, value, "ms"))
    return records


def _records(
    beir: BeirSet, variant: str, scores: tuple[float, float], subset: bool
) -> list[Record]:
    scenario = f"quality_{beir.name}{'_subset' if subset else ''}"
    return [
        Record(scenario, variant, "ndcg_at_10", round(scores[0], 4), ""),
        Record(scenario, variant, "recall_at_100", round(scores[1], 4), ""),
    ]


def quality_of(beir: BeirSet, subset: bool = False) -> list[Record]:
    """Every mode, then dense search again with the index bypassed, on one fresh store; on a
    whole set also the hybrid fusion grid (bench/fusion.py)."""
    records = []
    with tempfile.TemporaryDirectory(prefix="rag-quality-") as tmp:
        storage = Path(tmp)
        process, url, _ = _start(storage)
        try:
            stored = ingest(url, beir)
            for mode in MODES:
                records += _records(beir, mode, evaluate(url, beir, mode, stored), subset)
            if not subset:
                records += latency(url, beir)
                records += grid(url, beir, stored)
        finally:
            _stop(process)
        process, url, _ = _start(storage, {"RAG_DENSE_EXACT": "true"})
        try:
            scores = evaluate(url, beir, "dense", stored)
            records += _records(beir, "dense_exact", scores, subset)
        finally:
            _stop(process)
    return records


def quality(sets: list[str], subset: int | None) -> list[Record]:
    records = []
    for name in sets:
        records += quality_of(load(name, subset), subset is not None)
    return records
