"""Documents that change, through the HTTP API of a real service on the embedded store:

- readers during replaces: one writer uploads `replaces` new versions of one source while
  16 clients search for it (hybrid, dense and keyword in turn); every answer is counted by
  how many versions of the source it holds (0, 1 or 2: only 1 is right), and each replace
  is timed;
- a sync of `files` unchanged files, from a folder and from an S3 prefix (moto's server):
  `python -m src.sync` timed as a user runs it, `reps` times, with the chunks the service
  embedded meanwhile (rag_ingested_chunks) as the proof that nothing was;
- SSRF probes: every probe of tests/src/web/test_fetch.py (and a redirect to each), sent to
  POST /v1/documents {"url": ...}; counted as refused when answered 422 url_refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import corpus
from bench.report import Record, percentile, summarize
from bench.serving import ROOT, _start, _stop
from rig.s3 import start_s3
from tests.web_server import PROBES, WebServer

SOURCE = "bench/handbook.txt"
READERS = 16
MODES = ("hybrid", "dense", "keyword")
PUBLIC = "127.0.0.2"


def sources(replaces: int, files: int, reps: int) -> list[Record]:
    with tempfile.TemporaryDirectory(prefix="rag-bench-sources-") as tmp:
        settings = {"RAG_URL_INGEST": "on", "RAG_URL_ALLOW": f"{PUBLIC}/32"}
        process, url, _ = _start(Path(tmp) / "storage", settings)
        try:
            records = _readers(url, replaces)
            records += _sync_folder(url, Path(tmp) / "folder", files, reps)
            records += _sync_s3(url, Path(tmp), files, reps)
            records += _probes(url)
        finally:
            _stop(process)
    return records


def _version(n: int) -> dict[str, str]:
    text = f"Handbook version {n}. Leave policy: {20 + n % 10} days a year. " * 20
    return {"text": text, "title": "Handbook", "source": SOURCE}


def _reader(url: str, stop: threading.Event, counts: dict[int, int], lock: threading.Lock) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        turn = 0
        while not stop.is_set():
            body = {"query": "handbook leave policy", "top_k": 5, "mode": MODES[turn % 3]}
            hits = http.post("/v1/retrieve", json=body).json()["results"]
            versions = len({h["document_id"] for h in hits})
            with lock:
                counts[versions] = counts.get(versions, 0) + 1
            turn += 1


def _readers(url: str, replaces: int) -> list[Record]:
    with httpx.Client(base_url=url, timeout=60) as http:
        http.post("/v1/documents", json=_version(0)).raise_for_status()
        counts: dict[int, int] = {}
        lock, stop = threading.Lock(), threading.Event()
        threads = [
            threading.Thread(target=_reader, args=(url, stop, counts, lock)) for _ in range(READERS)
        ]
        for thread in threads:
            thread.start()
        took: list[float] = []
        try:
            for n in range(1, replaces + 1):
                started = time.perf_counter()
                http.post("/v1/documents", json=_version(n)).raise_for_status()
                took.append(time.perf_counter() - started)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    variant = f"{replaces} replaces, {READERS} readers"
    answers = sum(counts.values())
    wrong = {0: counts.get(0, 0), 2: sum(v for k, v in counts.items() if k >= 2)}
    return [
        Record("replace_readers", variant, "answers", answers, "count"),
        Record("replace_readers", variant, "zero_versions", wrong[0], "count"),
        Record("replace_readers", variant, "two_versions", wrong[2], "count"),
        Record("replace_readers", variant, "replace_p50", percentile(took, 50) * 1000, "ms"),
    ]


def _texts(files: int) -> list[str]:
    sentences = corpus.sentences(files)
    return [f"Note {n}. {sentences[n % len(sentences)]}" for n in range(files)]


def _sync(url: str, spec: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "src.sync", spec],
        cwd=ROOT,
        env={**os.environ, "RAG_API_URL": url, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"sync of {spec} failed: {done.stdout}{done.stderr}")
    return took, done.stdout.splitlines()[0]


def _embedded(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    lines = [line for line in text.splitlines() if line.startswith("rag_ingested_chunks_total")]
    return float(lines[0].split()[-1]) if lines else 0.0


def _unchanged(
    url: str, spec: str, files: int, reps: int, where: str, env: dict[str, str] | None
) -> list[Record]:
    _, first = _sync(url, spec, env)
    if not first.startswith(f"added {files},"):
        raise RuntimeError(f"the first sync of {spec} said: {first}")
    before, seconds = _embedded(url), []
    for _ in range(reps):
        took, said = _sync(url, spec, env)
        if not said.startswith(f"added 0, replaced 0, unchanged {files},"):
            raise RuntimeError(f"an unchanged sync of {spec} said: {said}")
        seconds.append(took)
    variant = f"{files} files, {where}"
    return [
        summarize("sync_unchanged", variant, "seconds", seconds, "s"),
        Record("sync_unchanged", variant, "chunks_embedded", _embedded(url) - before, "count"),
    ]


def _sync_folder(url: str, folder: Path, files: int, reps: int) -> list[Record]:
    for n, text in enumerate(_texts(files)):
        path = folder / f"{n // 100:02}" / f"note-{n:04}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return _unchanged(url, str(folder), files, reps, "folder", None)


def _sync_s3(url: str, tmp: Path, files: int, reps: int) -> list[Record]:
    s3 = start_s3(tmp / "moto.log")
    try:
        client = s3.client()
        client.create_bucket(Bucket="bench")
        for n, text in enumerate(_texts(files)):
            client.put_object(Bucket="bench", Key=f"notes/note-{n:04}.txt", Body=text.encode())
        return _unchanged(url, "s3://bench/notes/", files, reps, "S3 (moto)", s3.env())
    finally:
        s3.stop()


def _probes(url: str) -> list[Record]:
    web = WebServer(PUBLIC)
    refused = sent = 0
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            for n, probe in enumerate(PROBES):
                target = probe.format(port=web.port)
                for asked in (target, web.redirect(f"/probe{n}", target)):
                    response = http.post("/v1/documents", json={"url": asked})
                    sent += 1
                    error = response.json().get("error", {}) if response.status_code == 422 else {}
                    refused += error.get("type") == "url_refused"
    finally:
        web.close()
    return [
        Record("ssrf_probes", "direct and redirected", "sent", sent, "count"),
        Record("ssrf_probes", "direct and redirected", "refused", refused, "count"),
    ]
