"""Build-and-ship figures for the project's Dockerfile and ragctl: cold build, code-only
rebuild, light dependency change, image size, and disk after consecutive updates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.report import Record, summarize
from ragctl.context import copy_build_context

ROOT = Path(__file__).resolve().parent.parent
# Small packages not in the lock, one per light-dependency-change run.
LIGHT_PACKAGES = ["six", "toolz", "wrapt", "appdirs", "text-unidecode"]


def ragctl_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ragctl with --json (in `env`, by default this process's) and return its result."""
    done = subprocess.run(
        [sys.executable, "-m", "ragctl", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"ragctl {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def touch_code(context: Path) -> None:
    with (context / "src" / "retrieval.py").open("a") as source:
        source.write(f"\n# change {uuid.uuid4()}\n")


def add_dependency(context: Path, package: str) -> None:
    text = (context / "pyproject.toml").read_text()
    text = text.replace('    "prometheus-client', f'    "{package}",\n    "prometheus-client', 1)
    (context / "pyproject.toml").write_text(text)
    subprocess.run(["uv", "lock", "-q"], cwd=context, check=True)


def _build(context: Path, image: str, version: str) -> dict[str, Any]:
    return ragctl_json("build", "--context", str(context), "--image", image, "--version", version)


def cold_build(image: str) -> Record:
    subprocess.run(["docker", "builder", "prune", "-af"], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = _build(copy_build_context(Path(tmp)), image, "cold")
    return Record("cold_build", "rag-api", "seconds", round(report["seconds"], 1), "s")


def rebuilds(image: str, reps: int) -> list[Record]:
    code, light, size = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        context = copy_build_context(Path(tmp))
        size = _build(context, image, "base")["size_bytes"]
        for n in range(reps):
            touch_code(context)
            code.append(_build(context, image, f"code{n}")["seconds"])
        for n in range(min(reps, len(LIGHT_PACKAGES))):
            add_dependency(context, LIGHT_PACKAGES[n])
            light.append(_build(context, image, f"dep{n}")["seconds"])
    return [
        summarize("code_only_rebuild", "rag-api", "seconds", code, "s"),
        summarize("light_dependency_rebuild", "rag-api", "seconds", light, "s"),
        Record("image_size", "rag-api", "bytes", size, "B"),
    ]


def update_cycles(image: str, cycles: int, port: int) -> list[Record]:
    records = []
    name = f"rag-api-bench-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp:
        context = copy_build_context(Path(tmp))
        data = Path(tempfile.mkdtemp(prefix="rag-bench-data-"))
        try:
            for cycle in range(1, cycles + 1):
                touch_code(context)
                started = time.monotonic()
                report = ragctl_json(
                    "update",
                    "--context",
                    str(context),
                    "--image",
                    image,
                    "--version",
                    f"u{cycle}",
                    "--name",
                    name,
                    "--port",
                    str(port),
                    "--data",
                    str(data),
                )
                seconds = time.monotonic() - started
                df = ragctl_json("df", "--image", image)
                records.append(
                    Record(
                        "update_cycle", f"cycle_{cycle}", "docker_bytes", df["docker_bytes"], "B"
                    )
                )
                records.append(
                    Record("update_cycle", f"cycle_{cycle}", "seconds", round(seconds, 1), "s")
                )
                records.append(
                    Record(
                        "update_cycle",
                        f"cycle_{cycle}",
                        "unserved_seconds",
                        report["unserved_seconds"],
                        "s",
                    )
                )
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
            shutil.rmtree(data, ignore_errors=True)
    return records
