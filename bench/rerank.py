"""What the rerank stage costs: hybrid `/v1/retrieve` p50 (top_k 5, one client, the serving
suite's queries) on a store of `size` chunks, first stage only, and with the stage on for each
number of candidates, against a reranker that answers at once (tests/fake_embeddings.py: real
HTTP, the Cohere API, scoring by shared words in microseconds). What remains is the stage's own
cost: the wider first stage, the candidates' texts read and sent, the round trip. The services
run side by side on the same store, measured in turn, `reps` times."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench import fill
from bench.load import run as load_run
from bench.report import Record, summarize
from bench.serving import MODEL_DIR, ROOT, _bodies, _start, _stop, label
from rig.ecr import free_port
from rig.poller import wait_ok

CANDIDATES = (10, 20, 30, 50, 100)
FIRST_STAGE = "first stage"


def variant(candidates: int) -> str:
    return f"reranked, {candidates} candidates"


def _fake_reranker() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    script = ROOT / "tests" / "fake_embeddings.py"
    process = subprocess.Popen([sys.executable, str(script), str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_ok(f"{url}/last", alive=lambda: process.poll() is None)
    return process, url


def _settings(url: str, candidates: int) -> dict[str, str]:
    return {
        "RAG_RERANK_BASE_URL": f"{url}/v1",
        "RAG_RERANK_MODEL": "fake-rerank",
        "RAG_RERANK_CANDIDATES": str(candidates),
        "RAG_RERANK_BATCH_SIZE": "100",
    }


def rerank(stores: Path | None, size: int, reps: int, seconds: int) -> list[Record]:
    with tempfile.TemporaryDirectory(prefix="rag-bench-rerank-") as tmp:
        storage = (stores or Path(tmp)) / label(size)
        fill.fill(storage, MODEL_DIR, size, embedded=min(size, fill.EMBEDDED))
        fake, fake_url = _fake_reranker()
        services = {FIRST_STAGE: _start(storage)}
        try:
            for candidates in CANDIDATES:
                services[variant(candidates)] = _start(storage, _settings(fake_url, candidates))
            return _measure(
                {name: url for name, (_, url, _) in services.items()}, size, reps, seconds
            )
        finally:
            for process, _, _ in services.values():
                _stop(process)
            fake.kill()
            fake.wait(10)


def _measure(urls: dict[str, str], size: int, reps: int, seconds: int) -> list[Record]:
    bodies = _bodies(500, "hybrid")
    runs: dict[str, list[float]] = {}
    for _ in range(reps):
        for name, url in urls.items():
            result = load_run(url, bodies, 1, seconds)
            if result.errors:
                raise RuntimeError(f"{name}: {result.errors} failed requests")
            runs.setdefault(name, []).append(result.p50_ms)
    return [
        summarize(f"rerank_{label(size)}", name, "p50", values, "ms")
        for name, values in runs.items()
    ]
