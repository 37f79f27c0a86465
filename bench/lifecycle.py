"""Build and update figures, the reference approach and rag-api side by side. Each variant gets
its own fresh, empty engine (rig/engine.py, with outbound access for downloads), so a cold
build is really cold and its disk figures hold only what that variant left behind. Needs
root (the engine lives in its own network namespace)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.build import LIGHT_PACKAGES, add_dependency, touch_code
from bench.report import Record, summarize
from bench.variants import RagApi, Reference, Variant
from ragctl import disk
from ragctl.docker import Docker
from ragctl.source import copy_source
from rig import engine
from rig.poller import Poller, wait_ok

BASE_IMAGE = "python:3.11-slim-bookworm"
PORT = 8000  # inside the engine's own network namespace: no collision with the host


def _variant(name: str, docker: Docker) -> Variant:
    return Reference(docker) if name == "reference" else RagApi(docker)


@contextmanager
def fresh_engine(name: str) -> Iterator[tuple[Variant, engine.Server, Path]]:
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        workdir = Path(tmp)
        server = engine.start(workdir, internet=True)
        variant = _variant(name, server.docker)
        try:
            server.load(BASE_IMAGE)
            yield variant, server, workdir
        finally:
            variant.stop()
            server.stop()


def lifecycle(name: str, reps: int, cycles: int, heavy: bool = False) -> list[Record]:
    """On one fresh engine: a cold build and its size, then (without the heavy group) code-only
    update cycles, then code-only and light dependency rebuilds."""
    scenario = "heavy_" if heavy else ""
    with fresh_engine(name) as (variant, server, workdir):
        source = copy_source(workdir / "source")
        cold = variant.build(source, "base", heavy)
        records = [
            Record(f"{scenario}cold_build", name, "seconds", round(cold, 2), "s"),
            Record(f"{scenario}image_size", name, "bytes", variant.size("base"), "B"),
        ]
        if cycles:
            records += _updates(variant, server, source, workdir, cycles)
        code, light = [], []
        for n in range(reps):
            touch_code(source)
            code.append(variant.build(source, f"code{n}", heavy))
        heavy_rebuilt = 0
        for n in range(min(reps, len(LIGHT_PACKAGES))):
            add_dependency(source, LIGHT_PACKAGES[n])
            light.append(variant.build(source, f"dep{n}", heavy))
            if isinstance(variant, RagApi):
                heavy_rebuilt += variant.rebuilt("heavy.txt")
        if heavy and isinstance(variant, RagApi):
            records.append(
                Record(
                    f"{scenario}light_dependency_rebuild",
                    name,
                    "heavy_layer_rebuilt",
                    heavy_rebuilt,
                    "times",
                )
            )
    return [
        *records,
        summarize(f"{scenario}code_only_rebuild", name, "seconds", code, "s"),
        summarize(f"{scenario}light_dependency_rebuild", name, "seconds", light, "s"),
    ]


def _updates(
    variant: Variant, server: engine.Server, source: Path, workdir: Path, cycles: int
) -> list[Record]:
    """Code-only update cycles: time to serving the new version, the longest gap a client
    polling /health sees, and the engine's disk (Docker root) after each cycle."""
    name, records, seconds, gaps = variant.name, [], [], []
    data = workdir / "data"
    data.mkdir()
    url = f"http://{server.address}:{PORT}"
    for cycle in range(1, cycles + 1):
        touch_code(source)
        started = time.monotonic()
        with Poller(f"{url}/health", interval=0.05) as poller:
            variant.update(source, f"u{cycle}", PORT, data)
            wait_ok(f"{url}/ready", interval=0.05)
        if cycle > 1:  # the first cycle has nothing serving before it
            seconds.append(time.monotonic() - started)
            gaps.append(poller.longest_gap)
        records.append(Record("update_disk", name, f"after_{cycle}", server.disk_bytes(), "B"))
    return [
        *records,
        Record("uv_cache", name, "bytes", disk.cache_mount_bytes(variant.docker), "B"),
        summarize("update", name, "seconds_to_new_version", seconds, "s"),
        summarize("update", name, "longest_client_gap", gaps, "s"),
    ]
