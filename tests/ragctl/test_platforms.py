"""Multi-architecture images: `ragctl build --platform` (arm64 under QEMU), `ragctl push` of a
manifest list to the ECR rig, and an engine pulling the version gets its own architecture.

A small image keeps this quick; bench ship does the same with the service's own image and
runs its arm64 build under emulation (/ready and a query)."""

from __future__ import annotations

import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import require

from ragctl.docker import Docker, Engine
from ragctl.registry import Registry
from rig.ecr import PASSWORD, REGISTRY_HOST
from rig.engine import Server

PLATFORMS = "linux/amd64,linux/arm64"
# rig/arm64-base.sh's local Docker Hub mirror, serving the base image's list.
BASE_LIST = "http://127.0.0.1:5055/v2/library/python/manifests/3.11-slim-bookworm"
# CI builds the arm64 base beside the tests (minutes under QEMU on a fresh machine).
BASE_WAIT_S = 1200


def _base_listed() -> bool:
    request = urllib.request.Request(BASE_LIST, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=5):
            return True
    except OSError:
        return False


def _base_being_built() -> bool:
    """Whether `rig/arm64-base.sh` runs (CI starts it beside the tests)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"arm64-base.sh" in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


def _arm64_ready() -> bool:
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        return False
    deadline = time.monotonic() + BASE_WAIT_S
    while not _base_listed():
        if time.monotonic() > deadline or not _base_being_built():
            return False
        time.sleep(5)
    return True


@pytest.fixture(scope="module")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(_arm64_ready(), "QEMU and the arm64 base are not set up: run rig/arm64-base.sh")
    source = tmp_path_factory.mktemp("multiarch")
    (source / "Dockerfile").write_text(
        "FROM python:3.11-slim-bookworm\n"
        f"RUN uname -m > /built-on && echo {uuid.uuid4().hex} > /build-id\n"
        'CMD ["cat", "/built-on"]\n'
    )
    return source


@pytest.fixture(scope="module")
def image_name() -> Iterator[str]:
    name = f"rag-api-test-multiarch-{uuid.uuid4().hex[:6]}"
    yield name
    for ref in (
        Docker().run("image", "ls", name, "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    ):
        Docker().remove_image(ref, force=True, missing_ok=True)


@pytest.fixture(scope="module")
def built(ragctl: Any, small_source: Path, image_name: str) -> dict[str, Any]:
    args = ("--source", str(small_source), "--image", image_name, "--version", "m1")
    return ragctl.json("build", "--platform", PLATFORMS, *args)


@pytest.fixture(scope="module")
def pushed(ecr: Any, built: dict[str, Any], image_name: str) -> dict[str, Any]:
    args = ("--no-build", "--platform", PLATFORMS, "--image", image_name, "--version", "m1")
    return ecr.json("push", *args)


def test_build_tags_each_architecture_and_the_engines_own_as_the_version(
    built: dict[str, Any], image_name: str
) -> None:
    local = Docker()
    arch = {
        p["platform"]: local.image_inspect(p["ref"])["Architecture"] for p in built["platforms"]
    }
    assert arch == {"linux/amd64": "amd64", "linux/arm64": "arm64"}
    assert local.run("run", "--rm", f"{image_name}:m1-arm64").stdout.strip() == "aarch64"
    assert (
        local.image_inspect(f"{image_name}:m1")["Id"]
        == local.image_inspect(f"{image_name}:m1-amd64")["Id"]
    )
    assert all(p["size_bytes"] > 0 and p["seconds"] > 0 for p in built["platforms"])


def test_push_stores_a_list_naming_each_architectures_image(
    pushed: dict[str, Any], ecr: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = ecr.env["RAGCTL_ECR_REPOSITORY"]
    monkeypatch.setenv("SSL_CERT_FILE", ecr.env["SSL_CERT_FILE"])  # the rig's CA
    listed = Registry(REGISTRY_HOST, "AWS", PASSWORD).manifest(name, "m1")
    assert listed is not None and listed.is_list and listed.digest == pushed["digest"]
    each = {platform: one["digest"] for platform, one in pushed["platforms"].items()}
    assert listed.platforms == each and set(each) == set(PLATFORMS.split(","))
    versions = ecr.json("versions")["ecr"]
    assert [v["version"] for v in versions if v["version"].startswith("m1")] == ["m1"]


def test_push_again_sends_nothing_and_keeps_the_list(
    pushed: dict[str, Any], ecr: Any, image_name: str
) -> None:
    args = ("--no-build", "--platform", PLATFORMS, "--image", image_name, "--version", "m1")
    again = ecr.json("push", *args)
    assert (again["digest"], again["bytes_pushed"]) == (pushed["digest"], 0)


def test_an_engine_pulling_the_version_gets_its_own_architecture(
    pushed: dict[str, Any], ecr: Any, server: Server
) -> None:
    target = Docker(
        Engine(server.host), env={**os.environ, "DOCKER_CONFIG": ecr.env["DOCKER_CONFIG"]}
    )
    ref = pushed["ref"]
    target.pull(ref)
    assert target.image_inspect(ref)["Architecture"] == "amd64"
    assert target.run("run", "--rm", ref).stdout.strip() == "x86_64"
    # What a Graviton server's engine pulls (one engine keeps one image per digest: the
    # amd64 one goes first).
    target.remove_image(ref, force=True)
    target.pull(ref, platform="linux/arm64")
    assert target.image_inspect(ref)["Architecture"] == "arm64"
    assert target.run("run", "--rm", ref).stdout.strip() == "aarch64"
