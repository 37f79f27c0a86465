"""Retrieval quality on public BEIR sets, through the real HTTP API (bench/beir.py), each
test query sent to /v1/retrieve in each mode.

Scored as `../shared/eval/README.md` says, so the figures compare with the published anchors:
documents, not chunks (a document ranks where its best chunk does); nDCG@10 with graded gains
(gain = score); Recall@100 (here over the documents among the top 100 chunks, the most the API
returns, so a lower bound); for ArguAna a document with the query's own id is dropped.
`dense_exact` reruns dense search with the HNSW index bypassed (RAG_DENSE_EXACT), to show
what the approximate search costs in quality. `latency_<set>` times /v1/retrieve with the set's
own queries (ArguAna's are whole paragraphs) at the API's usual top_k, one client. On a whole
set, the fusion grid (bench/fusion.py) and the ablations (bench/ablation.py) run too, and on
whole sets the answers (bench/answers.py)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.ablation import keyword_ablation
from bench.answers import answers
from bench.beir import MODES, evaluate, ingest, latency, load, served
from bench.fusion import grid
from bench.report import Record
from bench.scoring import BeirSet

# The test suite's fixed subsets: a set's first SUBSET judged queries (bench/beir.py load),
# the answers' first ANSWER_SUBSET questions.
SUBSET = 20
ANSWER_SUBSET = 200

__all__ = ["load", "quality", "quality_of"]


def records_of(scenario: str, variant: str, scores: tuple[float, float]) -> list[Record]:
    return [
        Record(scenario, variant, "ndcg_at_10", round(scores[0], 4), ""),
        Record(scenario, variant, "recall_at_100", round(scores[1], 4), ""),
    ]


def quality_of(beir: BeirSet, subset: bool = False) -> list[Record]:
    """Every mode, then dense search again with the index bypassed, on one fresh store; on a
    whole set also latency, the fusion grid and the query-side ablations (the store-side ones
    are suite `ablation`)."""
    scenario = f"quality_{beir.name}{'_subset' if subset else ''}"
    records = []
    with tempfile.TemporaryDirectory(prefix="rag-quality-") as tmp:
        storage = Path(tmp)
        with served(storage) as url:
            started = time.perf_counter()
            stored = ingest(url, beir)
            seconds = round(time.perf_counter() - started, 1)
            for mode in MODES:
                records += records_of(scenario, mode, evaluate(url, beir, mode, stored))
            if not subset:
                ingested = Record(
                    f"ablation_{beir.name}", "default: ingest", "seconds", seconds, "s"
                )
                records.append(ingested)
                records += latency(url, beir)
                records += grid(url, beir, stored)
                records += keyword_ablation(url, beir, stored)
        with served(storage, {"RAG_DENSE_EXACT": "true"}) as url:
            scores = evaluate(url, beir, "dense", stored)
            records += records_of(scenario, "dense_exact", scores)
    return records


def quality(sets: list[str], subset: int | None) -> list[Record]:
    """The sets' retrieval quality; on whole sets, the answers too (bench/answers.py), and
    the fixed subsets the test suite holds to these figures (tests/bench/test_quality.py)."""
    records = []
    for name in sets:
        records += quality_of(load(name, subset), subset is not None)
    if sets and subset is None:
        records += answers()
        for name in sets:
            records += quality_of(load(name, SUBSET), subset=True)
        records += answers(ANSWER_SUBSET)
    return records
