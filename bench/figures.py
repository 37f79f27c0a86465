"""The README's figure blocks, rendered from the results (bench/readme.py splices them in).

Every number a block shows is a record of a committed results file, or a goal's threshold;
a figure marked "xN" is the median of N runs, an unmarked one a single run."""

from __future__ import annotations

from collections.abc import Callable

from bench import goals
from bench.figures_base import MODES, Key, _cells, _table, cell
from bench.ocr_figures import OCR_RENDERERS
from bench.publish import runs_table
from bench.quality_figures import QUALITY_RENDERERS
from bench.readme import Results
from bench.report import Record, spread
from bench.sources_figures import SOURCES_RENDERERS


def runs(results: Results) -> str:
    note = (
        "\nA figure marked xN is the median of N runs of that suite; an unmarked figure is a "
        "single run. Dates, kernels and commits are each suite's own (`meta` in its JSON).\n"
    )
    return runs_table(results.runs) + "\n" + note


def goal_table(results: Results) -> str:
    return goals.table(results.records) + "\n"


# --- builds and updates, the reference beside rag-api (bench/lifecycle.py) ---

LIFECYCLE_ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("cold build (empty engine): time / downloaded", "cold_build", ("seconds", "downloaded_bytes")),
    ("code-only rebuild: time / downloaded", "code_only_rebuild", ("seconds", "downloaded_bytes")),
    (
        "light dependency rebuild: time / downloaded",
        "light_dependency_rebuild",
        ("seconds", "downloaded_bytes"),
    ),
    ("image size", "image_size", ("bytes",)),
    (
        "code-only update: to the new version serving / longest gap a client saw",
        "update",
        ("seconds_to_new_version", "longest_client_gap"),
    ),
    (
        "Docker disk after 1 / 5 / 10 code-only updates",
        "update_disk",
        ("after_1", "after_5", "after_10"),
    ),
    ("of it, the runtime's uv cache", "uv_cache", ("bytes",)),
    (
        "model-export change, through the update: time / downloaded",
        "model_export_change",
        ("seconds", "downloaded_bytes"),
    ),
    ("Docker disk after the model-export change", "update_disk", ("after_export_change",)),
]


def builds(results: Results, prefix: str = "") -> str:
    rows = []
    for label, scenario, metrics in LIFECYCLE_ROWS:
        row = [label]
        for variant in ("reference", "rag-api"):
            keys = [(prefix + scenario, variant, metric) for metric in metrics]
            found = [results.get(*key) for key in keys]
            row.append(" / ".join(map(cell, found)) if any(found) else "")
        rows.append(row)
    if prefix:
        key = (f"{prefix}light_dependency_rebuild", "rag-api", "heavy_layer_rebuilt")
        rows.append(["PyTorch layer rebuilt by the light rebuilds", "", cell(results.get(*key))])
    return _table(["figure", "reference", "rag-api"], rows)


# --- shipping (bench/ship.py) ---

SHIP_ROWS: list[tuple[str, list[Key]]] = [
    (
        "push, first version: uploaded / time",
        [("push_first", "rag-api", "bytes"), ("push_first", "rag-api", "seconds")],
    ),
    (
        "push, code-only change: uploaded / time",
        [("push_code_only", "rag-api", "bytes"), ("push_code_only", "rag-api", "seconds")],
    ),
    (
        "deploy to another engine: first version / next version",
        [("deploy_first", "rag-api", "seconds"), ("deploy", "rag-api", "seconds")],
    ),
    ("rollback", [("rollback", "rag-api", "seconds")]),
    (
        "longest one of 16 clients waited (readiness, retrievals, streamed answers): deploy / "
        "rollback",
        [
            ("deploy", "rag-api", "longest_client_gap"),
            ("rollback", "rag-api", "longest_client_gap"),
        ],
    ),
    (
        "failed client requests over all deploys / rollbacks",
        [
            ("deploy", "rag-api", "failed_client_requests"),
            ("rollback", "rag-api", "failed_client_requests"),
        ],
    ),
    (
        "16 clients retrieving, p50: directly / through the proxy / the proxy's cost",
        [
            ("proxy", "direct", "p50_16_clients"),
            ("proxy", "proxy", "p50_16_clients"),
            ("proxy", "cost", "p50_16_clients"),
        ],
    ),
    (
        "amd64 + arm64 version from an empty build cache, build time: amd64 (native, with the "
        "model export) / arm64 (QEMU, reusing that export)",
        [
            ("multiarch_first", "amd64", "build_seconds"),
            ("multiarch_first", "arm64", "build_seconds"),
        ],
    ),
    (
        "image size: amd64 / arm64",
        [("multiarch_first", "amd64", "image_bytes"), ("multiarch_first", "arm64", "image_bytes")],
    ),
    (
        "code-only change, build time: amd64 / arm64",
        [
            ("multiarch_code_only", "amd64", "build_seconds"),
            ("multiarch_code_only", "arm64", "build_seconds"),
        ],
    ),
    (
        "code-only change, uploaded: amd64 / arm64",
        [
            ("multiarch_code_only", "amd64", "pushed_bytes"),
            ("multiarch_code_only", "arm64", "pushed_bytes"),
        ],
    ),
    (
        "deploy of that version to an amd64 server (pulls amd64 from the list)",
        [("multiarch_deploy", "amd64", "seconds")],
    ),
    (
        "arm64 image under QEMU: seconds to ready / a retrieval",
        [
            ("arm64_emulated", "rag-api", "ready_seconds"),
            ("arm64_emulated", "rag-api", "retrieve_seconds"),
        ],
    ),
    (
        "fresh build machine: from scratch / seeded from the registry's inline cache",
        [("fresh_builder", "scratch", "seconds"), ("fresh_builder", "registry_cache", "seconds")],
    ),
]


def ship(results: Results) -> str:
    rows = [[label, _cells(results, keys)] for label, keys in SHIP_ROWS]
    return _table(["figure", "rag-api"], rows)


# --- serving (bench/serving.py) ---


def sizes(results: Results) -> list[str]:
    return [r.variant for r in results.records if r.scenario == "store"]


def shown(size: str) -> str:
    """ "100k_chunks" -> "100k chunks", "1000k_chunks" -> "1M chunks"."""
    return size.replace("000k_", "M_").replace("_", " ")


def _size_rows(size: str) -> list[tuple[str, list[Key]]]:
    one, many = f"retrieve_{size}_1_client", f"retrieve_{size}_16_clients"
    return [
        ("chunks stored", [("store", size, "chunks")]),
        ("1 client, p50: hybrid / dense / keyword", [(one, m, "p50") for m in MODES]),
        ("1 client, p95: hybrid / dense / keyword", [(one, m, "p95") for m in MODES]),
        ("16 clients, req/s: hybrid / dense / keyword", [(many, m, "throughput") for m in MODES]),
        ("16 clients, hybrid p50 / p95", [(many, "hybrid", "p50"), (many, "hybrid", "p95")]),
        ("memory (RSS) after the load runs", [("memory", size, "rss")]),
        (
            "cold start to `/ready`, page cache dropped: process / container",
            [("cold_start_process", size, "to_ready"), ("cold_start_container", size, "to_ready")],
        ),
    ]


def serving(results: Results) -> str:
    stored = sizes(results)
    per_size = [_size_rows(size) for size in stored]
    rows = []
    for index, (label, _) in enumerate(per_size[0] if per_size else []):
        rows.append([label, *(_cells(results, rows_[index][1]) for rows_ in per_size)])
    return _table(["`/v1/retrieve` over HTTP", *(shown(s) for s in stored)], rows)


def model(results: Results) -> str:
    embed = [r for r in results.records if r.scenario == "embed"]
    rows = [[f"embedding, {r.variant.replace('_', ', ')}", cell(r)] for r in embed]
    rows += [
        [
            "ingest over HTTP / the bare model on the same chunks / share",
            _cells(
                results,
                [
                    ("ingest_http", "rag-api", "throughput"),
                    ("ingest_http", "bare_model", "throughput"),
                    ("ingest_http", "rag-api", "share_of_model"),
                ],
            ),
        ],
        [
            "container cold start to `/ready`, empty store, page cache dropped",
            cell(results.get("cold_start_container", "empty_store", "to_ready")),
        ],
    ]
    return _table(["figure", "rag-api"], rows)


def concurrency(results: Results) -> str:
    rows = _concurrency_rows(results)
    header = [
        "store",
        "mode",
        "req/s, 1 client (min-max)",
        "req/s, 16 clients",
        "machine CPU busy, 1 / 16 clients",
        "16 clients >= slowest 1-client run",
    ]
    fell = [f"{row[1]} at {row[0]}" for row in rows if row[-1] != "yes"]
    verdict = (
        f"Below the slowest 1-client run: {', '.join(fell)}."
        if fell
        else "Every mode at every size stays at or above the slowest 1-client run."
    )
    return _table(header, rows) + "\n" + verdict + "\n"


def _concurrency_rows(results: Results) -> list[list[str]]:
    rows = []
    for size in sizes(results):
        try:
            pairs = goals.never_falls(results.records, size)
        except KeyError:
            continue
        for mode, (one, many, kept) in pairs.items():
            busy = [
                results.get(f"retrieve_{size}_{c}", mode, "cpu_busy")
                for c in ("1_client", "16_clients")
            ]
            rows.append(
                [
                    shown(size),
                    mode,
                    _spread(one),
                    cell(many),
                    " / ".join(cell(b) for b in busy),
                    "yes" if kept else "**no**",
                ]
            )
    return rows


def _spread(record: Record) -> str:
    return cell(record) + spread(record)


# --- embedded stores side by side (bench/alternatives.py) ---

EMBEDDED_ROWS: list[tuple[str, list[str]]] = [
    ("dense p50 / p95, each at its default", ["dense_p50", "dense_p95"]),
    ("keyword p50", ["keyword_p50"]),
    ("hybrid p50", ["hybrid_p50"]),
    (
        "recall@10 vs exact at its default: real / Gaussian queries",
        ["recall_at_10", "recall_at_10_gaussian"],
    ),
    ("build from the same chunks", ["build"]),
    ("open and first query", ["open_and_first_query"]),
    ("disk", ["disk"]),
]
STORES = ("rag-api", "lancedb", "chroma")


def embedded(results: Results, size: str = "100k_chunks") -> str:
    scenario = f"embedded_{size}"
    present = [s for s in STORES if results.get(scenario, s, "disk")]
    rows = []
    for label, metrics in EMBEDDED_ROWS:
        row = [label]
        for store in present:
            found = [results.get(scenario, store, m) for m in metrics]
            row.append(" / ".join(cell(r) for r in found) if any(found) else "-")
        rows.append(row)
    return _table(["", *present], rows)


def sweep(results: Results) -> str:
    rows = []
    for size in sizes(results):
        scenario = f"embedded_{size}_sweep"
        variants = dict.fromkeys(r.variant for r in results.records if r.scenario == scenario)
        for variant in variants:
            keys = [(scenario, variant, m) for m in ("dense_p50", "dense_p95", "recall_at_10")]
            rows.append([shown(size), variant, *(cell(results.get(*k)) for k in keys)])
    return _table(["store", "store and query setting", "dense p50", "dense p95", "recall@10"], rows)


def matched(results: Results, size: str = "100k_chunks") -> str:
    """Each other store at the fastest swept setting that reaches rag-api's default recall."""
    scenario = f"embedded_{size}_sweep"
    target = results.get(scenario, "rag-api default", "recall_at_10")
    ours = results.get(scenario, "rag-api default", "dense_p50")
    if target is None or ours is None:
        return "Not measured in these results.\n"
    lines = [f"- rag-api at its default: recall@10 {cell(target)}, dense p50 {cell(ours)}."]
    for store in STORES[1:]:
        lines.append(f"- {_matched_line(results, scenario, store, target.value)}")
    return "\n".join(lines) + "\n"


def _matched_line(results: Results, scenario: str, store: str, target: float) -> str:
    points = []
    for r in results.records:
        swept = r.scenario == scenario and r.variant.startswith(f"{store} ")
        latency = results.get(scenario, r.variant, "dense_p50")
        if swept and r.metric == "recall_at_10" and latency is not None:
            points.append((r, latency))
    if not points:
        return f"{store}: not measured."
    reaching = [(r, p50) for r, p50 in points if r.value >= target]
    if not reaching:
        best, p50 = max(points, key=lambda point: point[0].value)
        return (
            f"{store}: no setting swept reaches it; the best, `{best.variant}`, recall@10 "
            f"{cell(best)} at dense p50 {cell(p50)}."
        )
    r, p50 = min(reaching, key=lambda point: point[1].value)
    return (
        f"{store}: the fastest setting that reaches it, `{r.variant}`: recall@10 {cell(r)}, "
        f"dense p50 {cell(p50)}."
    )


# --- Postgres + pgvector beside the embedded store (bench/postgres.py) ---


def postgres(results: Results, size: str = "100k_chunks") -> str:
    stores = ("sqlite", "postgres")

    def served(clients: str, metric: str) -> list[str]:
        scenarios = [f"retrieve_{size}_{store}_{clients}" for store in stores]
        return [_cells(results, [(s, mode, metric) for mode in MODES]) for s in scenarios]

    def stored(metric: str) -> list[str]:
        return [cell(results.get(f"postgres_{size}", store, metric)) for store in stores]

    copy_in = cell(results.get(f"postgres_{size}", "transfer", "throughput"))
    rows = [
        ["1 client, p50: hybrid / dense / keyword", *served("1_client", "p50")],
        ["16 clients, req/s: hybrid / dense / keyword", *served("16_clients", "throughput")],
        ["dense recall@10 vs exact (real queries)", *stored("recall_at_10")],
        ["disk", *stored("disk")],
        ["copy in (`src.transfer`, index built at the end)", "", copy_in],
    ]
    header = [f"{shown(size)}, `/v1/retrieve`", "embedded (SQLite)", "Postgres + pgvector"]
    return _table(header, rows)


# --- collections (bench/collections.py) ---


def collections(results: Results) -> str:
    """A query scoped to one collection of the biggest store, beside the same documents alone
    and the whole store; and the upgrade of a store from before collections."""
    queries = [r for r in results.records if r.scenario == "collection_query" and r.metric == "p50"]
    upgrades = [r for r in results.records if r.scenario == "upgrade_to_collections"]
    sample = results.get("collection_query", "sample", "chunks")
    rows = [["chunks in the collection", cell(sample)]]
    names = {"sample_alone": "the same documents alone in a store"}
    for record in queries:
        where = record.variant.split("_of_")[-1].split("_in_")[-1]
        label = names.get(record.variant) or (
            f"a key scoped to the collection, inside {shown(where)}"
            if record.variant.startswith("sample_in_")
            else f"an admin key, the whole of {shown(where)}"
        )
        rows.append([f"hybrid p50, 1 client: {label}", cell(record)])
    rows += [[f"upgrade of {shown(r.variant)} from before collections", cell(r)] for r in upgrades]
    return _table(["collections, `/v1/retrieve` over HTTP", "measured"], rows)


# --- where rag-api leads and where it trails ---

# (figure, scenario, metric): the reference beside rag-api, each without and with PyTorch.
AGAINST_REFERENCE = (
    ("cold build", "cold_build", "seconds"),
    ("downloaded by a cold build", "cold_build", "downloaded_bytes"),
    ("code-only rebuild", "code_only_rebuild", "seconds"),
    ("light dependency rebuild", "light_dependency_rebuild", "seconds"),
    ("downloaded by a light dependency rebuild", "light_dependency_rebuild", "downloaded_bytes"),
    ("image size", "image_size", "bytes"),
    ("code-only update, to the new version serving", "update", "seconds_to_new_version"),
    ("code-only update, longest gap a client saw", "update", "longest_client_gap"),
    ("Docker disk after 10 code-only updates", "update_disk", "after_10"),
)
# (figure, metric): the embedded stores at 100k chunks, each at its defaults.
AGAINST_STORES = (
    ("dense p50", "dense_p50"),
    ("keyword p50", "keyword_p50"),
    ("hybrid p50", "hybrid_p50"),
    ("dense recall@10", "recall_at_10"),
    ("open and first query", "open_and_first_query"),
    ("disk", "disk"),
)


def _pairs(results: Results) -> list[tuple[str, str, Record | None, Record | None]]:
    pairs = []
    for prefix, case in (("", ""), ("heavy_", ", with PyTorch")):
        for figure, scenario, metric in AGAINST_REFERENCE:
            ours = results.get(prefix + scenario, "rag-api", metric)
            theirs = results.get(prefix + scenario, "reference", metric)
            pairs.append((figure + case, "the reference", ours, theirs))
    scenario = "embedded_100k_chunks"
    for store in STORES[1:]:
        for figure, metric in AGAINST_STORES:
            ours, theirs = (
                results.get(scenario, "rag-api", metric),
                results.get(scenario, store, metric),
            )
            pairs.append((f"{figure}, 100k chunks, defaults", store, ours, theirs))
    return pairs


def standing(results: Results) -> str:
    rows = []
    for figure, other, ours, theirs in _pairs(results):
        if ours is None or theirs is None:
            continue
        higher_is_better = ours.metric.startswith("recall")
        if ours.value == theirs.value:
            verdict = "even"
        elif (ours.value > theirs.value) == higher_is_better:
            verdict = "leads"
        else:
            verdict = "**trails**"
        rows.append([figure, other, cell(ours), cell(theirs), verdict])
    return _table(["figure", "against", "rag-api", "the other", "rag-api"], rows)


RENDERERS: dict[str, Callable[[Results], str]] = {
    "runs": runs,
    "goals": goal_table,
    "builds": builds,
    "builds-heavy": lambda r: builds(r, "heavy_"),
    "ship": ship,
    "model": model,
    "serving": serving,
    "concurrency": concurrency,
    "embedded": embedded,
    "sweep": sweep,
    "matched": matched,
    "postgres": postgres,
    **QUALITY_RENDERERS,
    **OCR_RENDERERS,
    **SOURCES_RENDERERS,
    "standing": standing,
    "collections": collections,
}


def render(results: Results) -> dict[str, str]:
    return {name: renderer(results) for name, renderer in RENDERERS.items()}
