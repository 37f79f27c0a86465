"""Cold start of the service's container, `docker run` to /ready answering, on the local
engine: with an empty volume, or with a stored corpus bind-mounted as the data volume. Cold
means cold: the kernel's page cache is dropped before each start, so neither the image's
files nor the store come from memory a previous run left warm."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from bench.report import Record, summarize
from ragctl.docker import Docker, Run
from rig.ecr import free_port
from rig.poller import wait_ok

DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_page_cache() -> None:
    """Write dirty pages out, then drop clean page cache, dentries and inodes (needs root)."""
    os.sync()
    try:
        DROP_CACHES.write_text("3\n")
    except OSError as error:
        raise RuntimeError(
            f"a cold start needs the page cache dropped, as root: {error}"
        ) from error


def _run_to_ready(image: str, storage: Path | None) -> float:
    name, port = f"rag-api-bench-cold-{uuid.uuid4().hex[:6]}", free_port()
    volumes = (f"{storage}:/app/rag_local_storage",) if storage else ()
    publish = (f"127.0.0.1:{port}:8000",)
    docker = Docker()
    drop_page_cache()
    started = time.monotonic()
    docker.start_container(Run(image, name=name, publish=publish, volumes=volumes))
    try:
        wait_ok(f"http://127.0.0.1:{port}/ready")
        return time.monotonic() - started
    finally:
        docker.remove_container(name, volumes=True)


def cold_starts(image: str, storage: Path | None, reps: int, variant: str) -> Record:
    seconds = [_run_to_ready(image, storage) for _ in range(reps)]
    return summarize("cold_start_container", variant, "to_ready", seconds, "s")
