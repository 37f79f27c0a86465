"""What each part of the retrieval pipeline is worth, measured through the API on the same set
as the figures it explains (bench/quality.py), one part changed at a time.

Query side, on the default store, keyword mode: the terms as the release before this one chose
them (the query's 32 longest distinct words, each once), and every word once (no query-term
weighting), against today's (every word, weighted by the times the query says it). They are
sent as those words, so the service's own term handling reproduces each choice; CJK queries
are left out (their words are segmented again by the service, so they cannot be sent as is).

Store side, a fresh store each, every mode: the title not in the embedding
(RAG_EMBED_TITLE=false; still in the keyword index), no title at all (uploaded untitled), and
chunks of 128 tokens (RAG_CHUNK_TOKENS, with a proportional overlap), and the bundled model
unquantized (RAG_LOCAL_MODEL=all-MiniLM-L6-v2, fp32; the default is its int8 quantization,
model_export/quantize.py), and the multilingual local model
(RAG_LOCAL_MODEL=multilingual-e5-small; model_export/e5.py); for the models, query latencies
too."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.beir import MODES, Asked, evaluate, ingest, latency, load, served
from bench.report import Record
from bench.scoring import BeirSet
from src.text.segmentation import cjk_share
from src.text.terms import _WORD, STOPWORDS

PREVIOUS_MAX_TERMS = 32
QUERY_VARIANTS: dict[str, Asked] = {}
# name -> (settings, uploaded with titles)
STORE_VARIANTS: dict[str, tuple[dict[str, str], bool]] = {
    "title not embedded": ({"RAG_EMBED_TITLE": "false"}, True),
    "no title": ({}, False),
    "chunks of 128 tokens": ({"RAG_CHUNK_TOKENS": "128", "RAG_CHUNK_OVERLAP_TOKENS": "16"}, True),
    "model fp32": ({"RAG_LOCAL_MODEL": "all-MiniLM-L6-v2"}, True),
    "model multilingual-e5-small": ({"RAG_LOCAL_MODEL": "multilingual-e5-small"}, True),
}


def _distinct(text: str) -> list[str]:
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))
    return [word for word in words if word not in STOPWORDS] or words


def longest_terms(text: str) -> str:
    """The previous release's keyword terms: the 32 longest distinct words, in order."""
    words = _distinct(text)
    if len(words) > PREVIOUS_MAX_TERMS:
        longest = set(sorted(words, key=len, reverse=True)[:PREVIOUS_MAX_TERMS])
        words = [word for word in words if word in longest][:PREVIOUS_MAX_TERMS]
    return " ".join(words)


def distinct_terms(text: str) -> str:
    """Every word of the query once: no query-term weighting."""
    return " ".join(_distinct(text))


QUERY_VARIANTS.update(
    {"terms: 32 longest, once each": longest_terms, "terms: all, once each": distinct_terms}
)


def keyword_ablation(url: str, beir: BeirSet, stored: dict[str, list[str]]) -> list[Record]:
    if any(cjk_share(text) > 0.5 for text in beir.queries.values()):
        return []
    return [
        Record(
            f"ablation_{beir.name}",
            f"{name}: keyword",
            "ndcg_at_10",
            round(evaluate(url, beir, "keyword", stored, asked)[0], 4),
            "",
        )
        for name, asked in QUERY_VARIANTS.items()
    ]


def store_ablation(beir: BeirSet, variants: list[str] | None = None) -> list[Record]:
    """Each store variant (or those named) on a fresh store of `beir`."""
    records = []
    for name, (settings, titled) in STORE_VARIANTS.items():
        if variants and name not in variants:
            continue
        with (
            tempfile.TemporaryDirectory(prefix="rag-ablation-") as tmp,
            served(Path(tmp), settings) as url,
        ):
            started = time.perf_counter()
            stored = ingest(url, beir, titled)
            seconds = round(time.perf_counter() - started, 1)
            records.append(
                Record(f"ablation_{beir.name}", f"{name}: ingest", "seconds", seconds, "s")
            )
            if settings.get("RAG_LOCAL_MODEL"):
                records += [replace(r, variant=f"{name}: {r.variant}") for r in latency(url, beir)]
            for mode in MODES:
                score = round(evaluate(url, beir, mode, stored)[0], 4)
                records.append(
                    Record(f"ablation_{beir.name}", f"{name}: {mode}", "ndcg_at_10", score, "")
                )
    return records


def ablation(sets: list[str], variants: list[str] | None, kept: list[Record]) -> list[Record]:
    """The store-side ablations on `sets` (suite `ablation`: most of an hour per English set,
    so a run may take some sets or variants only); `kept`, the records of an earlier run, stay
    for every set and variant this run does not measure."""
    unknown = set(variants or ()) - set(STORE_VARIANTS)
    if unknown:
        raise SystemExit(
            f"unknown ablation variants: {sorted(unknown)}; known: {list(STORE_VARIANTS)}"
        )
    measured = [r for name in sets for r in store_ablation(load(name), variants)]
    fresh = {(r.scenario, r.variant.split(": ")[0]) for r in measured}
    return [r for r in kept if (r.scenario, r.variant.split(": ")[0]) not in fresh] + measured
