"""Ship figures against the ECR rig: bytes and time to push a code-only change, deploy to a
server to ready, rollback, what 16 clients at work see meanwhile (rig/load.py), and a fresh
builder seeded from the registry's inline cache. Needs root (the rig) and docker-registry."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.build import ragctl_json, touch_code
from bench.report import Record, summarize
from ragctl.source import copy_source
from rig import ecr as ecr_rig
from rig import engine
from rig.load import Load

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = "python:3.11-slim-bookworm"


class Operator:
    """ragctl run as an operator would, with the rig as AWS and a private Docker config."""

    def __init__(self, rig: ecr_rig.Rig, workdir: Path) -> None:
        self.env = {
            **os.environ,
            **rig.env(),
            "RAGCTL_STATE_DIR": str(workdir / "state"),
            "DOCKER_CONFIG": str(workdir / "docker-config"),
            "RAGCTL_ECR_REPOSITORY": f"rag-api-bench-{uuid.uuid4().hex[:6]}",
        }

    def __call__(self, *args: str, **env: str) -> dict[str, Any]:
        return ragctl_json(*args, env={**self.env, **env})


def _push(ragctl: Operator, source: Path, image: str, version: str) -> dict[str, Any]:
    return ragctl("push", "--source", str(source), "--image", image, "--version", version)


def _deploy(ragctl: Operator, server: engine.Server, *args: str) -> tuple[dict[str, Any], Load]:
    with Load(f"http://{server.address}:8000") as load:
        report = ragctl(*args, "--target", server.host)["targets"][0]
    return report, load


def _pushes(ragctl: Operator, source: Path, image: str, reps: int) -> list[Record]:
    first = _push(ragctl, source, image, "v0")
    sizes, seconds = [], []
    for n in range(1, reps + 1):
        touch_code(source)
        report = _push(ragctl, source, image, f"v{n}")
        sizes.append(report["bytes_pushed"])
        seconds.append(report["push_seconds"])
    return [
        Record("push_first", "rag-api", "bytes", first["bytes_pushed"], "B"),
        Record("push_first", "rag-api", "seconds", first["push_seconds"], "s"),
        summarize("push_code_only", "rag-api", "bytes", sizes, "B"),
        summarize("push_code_only", "rag-api", "seconds", seconds, "s"),
    ]


def _deploys(ragctl: Operator, server: engine.Server, reps: int) -> list[Record]:
    """Each deploy and rollback under 16 clients' load (readiness, retrievals and streamed
    answers): its time, the longest a client waited, and every failed request."""
    first, _ = _deploy(ragctl, server, "deploy", "v0")
    seconds, gaps, failures = [], [], 0
    back_seconds, back_gaps, back_failures = [], [], 0
    for n in range(1, reps + 1):
        report, load = _deploy(ragctl, server, "deploy", f"v{n}")
        seconds.append(report["seconds"])
        gaps.append(load.longest_gap)
        failures += len(load.failures)
        back, load = _deploy(ragctl, server, "rollback")
        back_seconds.append(back["seconds"])
        back_gaps.append(load.longest_gap)
        back_failures += len(load.failures)
        _deploy(ragctl, server, "deploy", f"v{n}")  # forward again for the next round
    return [
        Record("deploy_first", "rag-api", "seconds", round(first["seconds"], 2), "s"),
        summarize("deploy", "rag-api", "seconds", seconds, "s"),
        summarize("deploy", "rag-api", "longest_client_gap", gaps, "s"),
        Record("deploy", "rag-api", "failed_client_requests", failures, "requests"),
        summarize("rollback", "rag-api", "seconds", back_seconds, "s"),
        summarize("rollback", "rag-api", "longest_client_gap", back_gaps, "s"),
        Record("rollback", "rag-api", "failed_client_requests", back_failures, "requests"),
    ]


def _fresh_builder(
    ragctl: Operator, workdir: Path, source: Path, image: str, scratch: bool
) -> list[Record]:
    """A new build machine (an empty engine with the base image only): from scratch (unless
    `scratch` is False: it downloads PyTorch for the model export), then seeded from the
    registry's inline cache, each on its own fresh engine."""
    seconds = {}
    variants: tuple[tuple[str, list[str]], ...] = (
        ("scratch", []),
        ("registry_cache", ["--cache-from-ecr"]),
    )
    for variant, extra in variants[0 if scratch else 1 :]:
        server = engine.start(workdir, internet=True)
        try:
            server.load(BASE_IMAGE)
            report = ragctl(
                *("build", "--source", str(source), "--image", image, "--version", "fresh"),
                *("--target", server.host, *extra),
            )
            seconds[variant] = report["seconds"]
        finally:
            server.stop()
    return [Record("fresh_builder", v, "seconds", round(s, 2), "s") for v, s in seconds.items()]


def ship(image: str, reps: int, scratch_builder: bool = True) -> list[Record]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rig = ecr_rig.start(workdir / "rig")
        server = engine.start(workdir)
        try:
            ragctl = Operator(rig, workdir)
            source = copy_source(workdir / "source")
            records = _pushes(ragctl, source, image, reps)
            records += _deploys(ragctl, server, reps)
            server.stop()
            return records + _fresh_builder(ragctl, workdir, source, image, scratch_builder)
        finally:
            server.stop()
            rig.stop()
