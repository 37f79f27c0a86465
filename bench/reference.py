"""The baseline: the reference document's Dockerfile (bench/reference/Dockerfile), built with
plain `docker buildx build`, measured the same way as the project's own build."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.build import LIGHT_PACKAGES, add_dependency, touch_code
from bench.report import Record, summarize
from ragctl.context import copy_build_context

DOCKERFILE = Path(__file__).resolve().parent / "reference" / "Dockerfile"
VARIANT = "reference"


def _build(context: Path, tag: str) -> float:
    command = ["docker", "buildx", "build", "--progress=plain", "--load", "-f", str(DOCKERFILE)]
    ca_bundle = os.environ.get("RAG_CA_BUNDLE")
    if ca_bundle:
        command += ["--secret", f"id=ca_bundle,src={ca_bundle}"]
    started = time.monotonic()
    subprocess.run([*command, "-t", tag, str(context)], check=True, capture_output=True)
    return time.monotonic() - started


def _size(tag: str) -> int:
    out = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def rebuilds(image: str, reps: int) -> list[Record]:
    """Code-only and light-dependency rebuilds of the baseline, and its image size."""
    code: list[float] = []
    light: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        context = copy_build_context(Path(tmp))
        _build(context, f"{image}-reference:base")
        size = _size(f"{image}-reference:base")
        for n in range(reps):
            touch_code(context)
            code.append(_build(context, f"{image}-reference:code{n}"))
        for n in range(min(reps, len(LIGHT_PACKAGES))):
            add_dependency(context, LIGHT_PACKAGES[n])
            light.append(_build(context, f"{image}-reference:dep{n}"))
    return [
        summarize("code_only_rebuild", VARIANT, "seconds", code, "s"),
        summarize("light_dependency_rebuild", VARIANT, "seconds", light, "s"),
        Record("image_size", VARIANT, "bytes", size, "B"),
    ]
