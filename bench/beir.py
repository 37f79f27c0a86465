"""A public BEIR set (`../shared/eval/`) measured through the real HTTP API of a service started
from source: every corpus document uploaded as JSON text (its title, its BEIR id as metadata),
every test query sent to /v1/retrieve. Scored as bench/scoring.py says."""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.report import Record, percentile
from bench.scoring import BeirSet, ndcg_at_10, ranked, recall_at_100, retrieve
from bench.serving import ROOT, _start, _stop
from src.ingest import UNTITLED

EVAL = ROOT.parent / "shared" / "eval"
SETS = ("nfcorpus", "arguana", "xquad-zh")
MODES = ("hybrid", "dense", "keyword")
UPLOADERS = 4
LATENCY_QUERIES = 300
LATENCY_TOP_K = 5
# What the service is asked for a query's text (the text itself; an ablation may change it).
Asked = Callable[[str], str]


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


@contextmanager
def served(storage: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """A service on `storage` with `settings`, for as long as the block runs: its URL."""
    process: subprocess.Popen[bytes]
    process, url, _ = _start(storage, settings)
    try:
        yield url
    finally:
        _stop(process)


def ingest(url: str, beir: BeirSet, titled: bool = True) -> dict[str, list[str]]:
    """Upload every document (with its title, or, unless `titled`, as untitled); returns the
    service's document id -> BEIR ids (the content hash dedupes identical texts into one
    stored document)."""

    def upload(item: tuple[str, tuple[str, str]]) -> tuple[str, str]:
        beir_id, (title, text) = item
        with httpx.Client(base_url=url, timeout=600) as http:
            body = {
                "text": text or title,
                "title": title if titled else UNTITLED,
                "metadata": {"beir_id": beir_id},
            }
            response = http.post("/v1/documents", json=body, params={"background": "false"})
            response.raise_for_status()
            return str(response.json()["documents"][0]["id"]), beir_id

    stored: dict[str, list[str]] = {}
    with ThreadPoolExecutor(UPLOADERS) as pool:
        for document_id, beir_id in pool.map(upload, beir.corpus.items()):
            stored.setdefault(document_id, []).append(beir_id)
    return stored


def evaluate(
    url: str,
    beir: BeirSet,
    mode: str,
    stored: dict[str, list[str]],
    asked: Asked = str,
) -> tuple[float, float]:
    """Mean nDCG@10 and Recall@100 over the set's queries."""
    ndcg = recall = 0.0
    with httpx.Client(base_url=url, timeout=60) as http:
        for query_id, text in beir.queries.items():
            hits = retrieve(http, asked(text), mode)
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
