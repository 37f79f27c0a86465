"""Cold start of the service's container, `docker run` to /ready answering, on the local
engine: with an empty volume, or with a stored corpus bind-mounted as the data volume."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from bench.report import Record, summarize


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_to_ready(image: str, storage: Path | None) -> float:
    name, port = f"rag-api-bench-cold-{uuid.uuid4().hex[:6]}", _free_port()
    volume = ["-v", f"{storage}:/app/rag_local_storage"] if storage else []
    started = time.monotonic()
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", *volume, image],
        check=True,
        capture_output=True,
    )
    try:
        while time.monotonic() - started < 300:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{image} did not become ready within 300 s")
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)


def cold_starts(image: str, storage: Path | None, reps: int, variant: str) -> Record:
    seconds = [_run_to_ready(image, storage) for _ in range(reps)]
    return summarize("cold_start_container", variant, "to_ready", seconds, "s")
