"""Build and update figures, the reference approach and rag-api side by side. Each variant gets
its own fresh, empty engine (rig/engine.py, with outbound access for downloads), so a cold
build is really cold and its disk figures hold only what that variant left behind; every
byte that engine downloads crosses one virtual link, so each build's downloads are counted
exactly. Needs root (the engine lives in its own network namespace)."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.build import LIGHT_PACKAGES, add_dependency, touch_code
from bench.report import Record, summarize
from bench.variants import RagApi, Reference, Variant
from ragctl import disk
from ragctl.docker import Docker
from ragctl.source import copy_source
from rig import engine
from rig.load import Load
from rig.poller import wait_ok

BASE_IMAGE = "python:3.11-slim-bookworm"
PORT = 8000  # inside the engine's own network namespace: no collision with the host


def _variant(name: str, docker: Docker) -> Variant:
    return Reference(docker) if name == "reference" else RagApi(docker)


@dataclass
class Bench:
    variant: Variant
    server: engine.Server
    source: Path
    data: Path
    heavy: bool

    @property
    def prefix(self) -> str:
        return "heavy_" if self.heavy else ""

    def measured(self, work: Callable[[], object]) -> tuple[float, int]:
        """Seconds and bytes downloaded while `work` runs."""
        before, started = self.server.downloaded_bytes(), time.monotonic()
        work()
        return time.monotonic() - started, self.server.downloaded_bytes() - before

    def build(self, version: str) -> tuple[float, int]:
        """The build's own seconds (as the variant times it: no ragctl start-up) and the
        bytes downloaded meanwhile."""
        before = self.server.downloaded_bytes()
        seconds = self.variant.build(self.source, version, self.heavy)
        return seconds, self.server.downloaded_bytes() - before

    def update(self, version: str) -> tuple[float, int]:
        return self.measured(
            lambda: self.variant.update(self.source, version, PORT, self.data, self.heavy)
        )

    def disk(self, metric: str) -> Record:
        name = self.variant.name
        return Record(f"{self.prefix}update_disk", name, metric, self.server.disk_bytes(), "B")


@contextmanager
def fresh_bench(name: str, heavy: bool) -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        workdir = Path(tmp)
        server = engine.start(workdir, internet=True)
        variant = _variant(name, server.docker)
        try:
            server.load(BASE_IMAGE)
            (workdir / "data").mkdir()
            yield Bench(variant, server, copy_source(workdir / "source"), workdir / "data", heavy)
        finally:
            variant.stop()
            server.stop()


def lifecycle(
    name: str, reps: int, cycles: int, heavy: bool = False, export_change: bool = True
) -> list[Record]:
    """On one fresh engine: a cold build, code-only update cycles with the disk after each,
    code-only and light dependency rebuilds, and (rag-api, unless `export_change` is False)
    a change to the model export."""
    with fresh_bench(name, heavy) as bench:
        seconds, downloaded = bench.build("base")
        prefix = bench.prefix
        records = [
            Record(f"{prefix}cold_build", name, "seconds", round(seconds, 2), "s"),
            Record(f"{prefix}cold_build", name, "downloaded_bytes", downloaded, "B"),
            Record(f"{prefix}image_size", name, "bytes", bench.variant.size("base"), "B"),
        ]
        if cycles:
            records += _updates(bench, cycles)
        records += _rebuilds(bench, reps)
        if export_change and isinstance(bench.variant, RagApi):
            records += _export_change(bench)
    return records


def _rebuilds(bench: Bench, reps: int) -> list[Record]:
    name, prefix = bench.variant.name, bench.prefix
    code, light = [], []
    for n in range(reps):
        touch_code(bench.source)
        code.append(bench.build(f"code{n}"))
    heavy_rebuilt = 0
    for n in range(min(reps, len(LIGHT_PACKAGES))):
        add_dependency(bench.source, LIGHT_PACKAGES[n])
        light.append(bench.build(f"dep{n}"))
        if isinstance(bench.variant, RagApi):
            heavy_rebuilt += bench.variant.rebuilt("heavy.txt")
    records = [
        summarize(f"{prefix}code_only_rebuild", name, "seconds", [s for s, _ in code], "s"),
        summarize(
            f"{prefix}code_only_rebuild", name, "downloaded_bytes", [b for _, b in code], "B"
        ),
        summarize(f"{prefix}light_dependency_rebuild", name, "seconds", [s for s, _ in light], "s"),
        summarize(
            f"{prefix}light_dependency_rebuild",
            name,
            "downloaded_bytes",
            [b for _, b in light],
            "B",
        ),
    ]
    if bench.heavy and isinstance(bench.variant, RagApi):
        metric = "heavy_layer_rebuilt"
        records.append(
            Record(f"{prefix}light_dependency_rebuild", name, metric, heavy_rebuilt, "times")
        )
    return records


def _export_change(bench: Bench) -> list[Record]:
    """A new model export (its code changed; a new export pin does the same to the model
    stage), shipped by the update loop: time, downloads, and the disk after its prune."""
    with (bench.source / "model_export" / "__main__.py").open("a") as out:
        out.write(f"\n# export change {uuid.uuid4()}\n")
    seconds, downloaded = bench.update("export")
    name, scenario = bench.variant.name, f"{bench.prefix}model_export_change"
    return [
        Record(scenario, name, "seconds", round(seconds, 2), "s"),
        Record(scenario, name, "downloaded_bytes", downloaded, "B"),
        bench.disk("after_export_change"),
    ]


def _updates(bench: Bench, cycles: int) -> list[Record]:
    """Code-only update cycles: time to serving the new version, what 16 clients at work see
    meanwhile (the longest a client waited, failed requests; rig/load.py), and the engine's
    disk (Docker root) after each cycle."""
    name, records, seconds, gaps, failures = bench.variant.name, [], [], [], 0
    url = f"http://{bench.server.address}:{PORT}"
    for cycle in range(1, cycles + 1):
        touch_code(bench.source)
        started = time.monotonic()
        with Load(url) as load:
            bench.update(f"u{cycle}")
            wait_ok(f"{url}/ready", interval=0.05)
        if cycle > 1:  # the first cycle has nothing serving before it
            seconds.append(time.monotonic() - started)
            gaps.append(load.longest_gap)
            failures += len(load.failures)
        records.append(bench.disk(f"after_{cycle}"))
    runtime_cache = disk.runtime_cache_bytes(disk.build_cache(bench.variant.docker))
    prefix = bench.prefix
    records.append(Record(f"{prefix}uv_cache", name, "bytes", runtime_cache, "B"))
    if seconds:  # from the second cycle on
        records += [
            summarize(f"{prefix}update", name, "seconds_to_new_version", seconds, "s"),
            summarize(f"{prefix}update", name, "longest_client_gap", gaps, "s"),
            Record(f"{prefix}update", name, "failed_client_requests", failures, "requests"),
        ]
    return records
