"""Fixtures for ragctl's tests against the real Docker engine.

Under CI=true a missing engine fails these tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, free_port
from helpers import require

from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.source import copy_source
from rig import ecr as ecr_rig_module
from rig import engine as engine_module
from rig.ecr import Rig
from rig.engine import Server

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
LOCAL = Docker()  # the engine the tests build and run on


def docker_available() -> bool:
    try:
        return LOCAL.run("info", check=False, timeout=20).returncode == 0
    except RagctlError:
        return False


@pytest.fixture(scope="session")
def docker_engine() -> None:
    require(docker_available(), "no Docker engine answers (run ../shared/ci/docker-env.sh)")


@dataclass(frozen=True)
class Ragctl:
    env: dict[str, str]

    def __call__(
        self, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "ragctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            timeout=1800,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"ragctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def json(self, *args: str, cwd: Path | None = None) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self("--json", *args, cwd=cwd).stdout)
        return data


@pytest.fixture(scope="session")
def ragctl(docker_engine: None) -> Ragctl:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if Path(CA_BUNDLE).is_file():
        env.setdefault("RAG_CA_BUNDLE", CA_BUNDLE)
    return Ragctl(env)


@pytest.fixture(scope="session")
def test_image_name() -> str:
    return f"rag-api-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def built(
    ragctl: Ragctl, test_image_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The image built once by `ragctl build` from a copy of this checkout."""
    source = copy_source(tmp_path_factory.mktemp("source"))
    report = ragctl.json(
        "build", "--source", str(source), "--image", test_image_name, "--version", "v1"
    )
    yield {**report, "source": source}
    _remove_tags(test_image_name)


@pytest.fixture()
def derived_image(built: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., str]]:
    """derived_image(lines, files) builds `FROM <built image>` plus the given lines."""
    made: list[str] = []

    def make(*lines: str, files: dict[str, str] | None = None) -> str:
        folder = tmp_path / uuid.uuid4().hex[:8]
        folder.mkdir()
        for name, text in (files or {}).items():
            (folder / name).write_text(text)
        (folder / "Dockerfile").write_text("\n".join([f"FROM {built['ref']}", *lines]) + "\n")
        tag = f"{built['image']}:derived-{folder.name}"
        LOCAL.run("build", "-q", "-t", tag, str(folder))
        made.append(tag)
        return tag

    yield make
    for tag in made:
        LOCAL.run("image", "rm", "-f", tag, check=False)


@pytest.fixture()
def container_name() -> Iterator[str]:
    name = f"rag-api-test-{uuid.uuid4().hex[:8]}"
    yield name
    for suffix in ("", "-next", "-previous", "-proxy"):
        LOCAL.remove_container(name + suffix)


@pytest.fixture()
def host_port() -> int:
    return free_port()


# ---- the ECR rig: moto (ECR API) + a TLS registry + a second engine as "another server" ----


@pytest.fixture(scope="session")
def ecr_rig(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    require(
        shutil.which(ecr_rig_module.REGISTRY_BIN) is not None and os.geteuid() == 0,
        "the ECR rig needs root and docker-registry (apt-get install docker-registry)",
    )
    rig = ecr_rig_module.start(tmp_path_factory.mktemp("ecr-rig"))
    yield rig
    rig.stop()


@pytest.fixture(scope="session")
def server(ecr_rig: Rig) -> Iterator[Server]:
    engine = engine_module.start(ecr_rig.workdir)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def ecr(ragctl: Ragctl, ecr_rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Ragctl:
    """ragctl as an operator with AWS credentials would run it, against the rig."""
    env = {
        **ragctl.env,
        **ecr_rig.env(),
        "RAGCTL_STATE_DIR": str(tmp_path_factory.mktemp("ragctl-state")),
        "DOCKER_CONFIG": str(tmp_path_factory.mktemp("docker-config")),
        "RAGCTL_ECR_REPOSITORY": f"rag-api-test-{uuid.uuid4().hex[:6]}",
    }
    return Ragctl(env)


@pytest.fixture(scope="session")
def ecr_client(ecr: Ragctl) -> Any:
    import boto3

    return boto3.client(
        "ecr",
        region_name=ecr.env["AWS_DEFAULT_REGION"],
        endpoint_url=ecr.env["AWS_ENDPOINT_URL_ECR"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def tag_as(image: str, name: str, version: str) -> str:
    LOCAL.tag(image, f"{name}:{version}")
    return f"{name}:{version}"


def _remove_tags(name: str) -> None:
    listed = LOCAL.run("image", "ls", name, "--format", "{{.Repository}}:{{.Tag}}", check=False)
    for ref in listed.stdout.split():
        LOCAL.run("image", "rm", "-f", ref, check=False)


@pytest.fixture(scope="session")
def ship_image(built: dict[str, Any]) -> Iterator[str]:
    """The name the push tests tag their versions under (never the built image's own, whose
    tags the retention tests count)."""
    name = f"{built['image']}-ship"
    yield name
    _remove_tags(name)


@pytest.fixture(scope="session")
def pushed(ecr: Ragctl, built: dict[str, Any]) -> dict[str, Any]:
    """The built image pushed as version v1."""
    return ecr.json("push", "--no-build", "--image", built["image"], "--version", "v1")


@pytest.fixture(scope="session")
def release_v2(
    ecr: Ragctl, ship_image: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A second version: a code-only change, built and pushed by `ragctl push`."""
    source = copy_source(tmp_path_factory.mktemp("source-v2"))
    with (source / "src" / "__init__.py").open("a") as out:
        out.write(f"\n# v2: a code-only change ({uuid.uuid4().hex})\n")
    report = ecr.json("push", "--source", str(source), "--image", ship_image, "--version", "v2")
    return {**report, "source": source}
