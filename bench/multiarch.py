"""Multi-architecture figures against the ECR rig: `ragctl push --platform
linux/amd64,linux/arm64` (the arm64 image built under QEMU), its time and size per
architecture, then a code-only change; the amd64 server deploying the version pulls its own
architecture from the manifest list; the arm64 image, run under emulation, gets ready and
answers a retrieval. Needs rig/arm64-base.sh (QEMU and the base image's arm64 variant)."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.build import touch_code
from bench.report import Record
from bench.ship import Operator
from ragctl.docker import Docker, Run
from ragctl.source import copy_source
from rig import ecr as ecr_rig
from rig import engine
from rig.ecr import free_port
from rig.poller import wait_ok

PLATFORMS = "linux/amd64,linux/arm64"
# Under QEMU the service loads its model some ten times slower than natively.
EMULATED_READY_TIMEOUT_S = 900
PASSAGE = "The lighthouse keeper on Graviton Point trims the lamp at dusk and rings the bell."


def _push(
    ragctl: Callable[..., dict[str, Any]], source: Path, image: str, version: str
) -> dict[str, Any]:
    args = ("--source", str(source), "--image", image, "--version", version)
    return ragctl("push", *args, "--platform", PLATFORMS)


def _per_arch(report: dict[str, Any], scenario: str) -> list[Record]:
    records = []
    for built in report["build"]["platforms"]:
        arch = built["platform"].split("/")[1]
        pushed = report["platforms"][built["platform"]]
        records += [
            Record(scenario, arch, "build_seconds", built["seconds"], "s"),
            Record(scenario, arch, "image_bytes", built["size_bytes"], "B"),
            Record(scenario, arch, "pushed_bytes", pushed["bytes_pushed"], "B"),
        ]
    return records


def _deployed_arch(
    ragctl: Callable[..., dict[str, Any]], server: engine.Server, version: str
) -> Record:
    """The amd64 server deploys the version by the list's digest and must run amd64."""
    report = ragctl("deploy", version, "--target", server.host)["targets"][0]
    container = server.docker.container_inspect("rag-api") or {}
    arch = server.docker.image_inspect(str(container.get("Image")))["Architecture"]
    if arch != "amd64":
        raise RuntimeError(f"the amd64 server deployed the {arch} image of {version}")
    return Record("multiarch_deploy", "amd64", "seconds", round(report["seconds"], 2), "s")


def _emulated(image: str) -> list[Record]:
    """The arm64 image on this (amd64) engine under QEMU: seconds to ready, and a retrieval
    that must find the passage just stored."""
    docker, port = Docker(), free_port()
    name = f"rag-api-bench-arm64-{uuid.uuid4().hex[:6]}"
    if docker.image_inspect(image)["Architecture"] != "arm64":
        raise RuntimeError(f"{image} is not an arm64 image")
    docker.start_container(Run(image, name=name, publish=(f"127.0.0.1:{port}:8000",)))
    try:
        url = f"http://127.0.0.1:{port}"
        ready = wait_ok(f"{url}/ready", timeout=EMULATED_READY_TIMEOUT_S)
        with httpx.Client(base_url=url, timeout=300) as http:
            http.post("/v1/documents", json={"text": PASSAGE, "title": "keeper"}).raise_for_status()
            started = time.monotonic()
            found = http.post("/v1/retrieve", json={"query": "who trims the lamp?", "top_k": 1})
            seconds = time.monotonic() - started
        found.raise_for_status()
        if "lighthouse keeper" not in found.text:
            raise RuntimeError(f"the arm64 service did not find the passage: {found.text[:300]}")
    finally:
        docker.remove_container(name)
    return [
        Record("arm64_emulated", "rag-api", "ready_seconds", round(ready, 2), "s"),
        Record("arm64_emulated", "rag-api", "retrieve_seconds", round(seconds, 3), "s"),
    ]


def multiarch(image: str) -> list[Record]:
    """The whole suite, on its own ECR rig and server."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rig = ecr_rig.start(workdir / "rig")
        server = engine.start(workdir)
        try:
            source = copy_source(workdir / "source")
            return _versions(Operator(rig, workdir), server, source, image)
        finally:
            server.stop()
            rig.stop()


def _versions(
    ragctl: Callable[..., dict[str, Any]], server: engine.Server, source: Path, image: str
) -> list[Record]:
    first = _push(ragctl, source, image, "arch1")
    records = _per_arch(first, "multiarch_first")
    records.append(_deployed_arch(ragctl, server, "arch1"))
    records += _emulated(f"{image}:arch1-arm64")
    touch_code(source)
    return records + _per_arch(_push(ragctl, source, image, "arch2"), "multiarch_code_only")
