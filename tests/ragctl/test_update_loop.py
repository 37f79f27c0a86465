"""The README's loop as a new user runs it, in a checkout of this repository: `docker compose up
-d --build`, edit src/, `./scripts/update.sh`, `docker compose ps`, `./scripts/ragctl rollback
--target local`, `docker compose up -d --build`, `docker compose down`. Compose and ragctl
manage the same single service throughout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, free_port
from helpers import ingest_text

from ragctl.docker import Docker
from rig.poller import Poller


@dataclass(frozen=True)
class Checkout:
    """A git checkout of this tree with its own compose project, image name and port."""

    path: Path
    env: dict[str, str]
    project: str
    port: int

    @property
    def docker(self) -> Docker:
        return Docker(env=self.env)

    def script(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.path / "scripts" / name), *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{name} {args} exited {done.returncode}:\n{done.stderr[-4000:]}")
        return done

    def compose(self, *args: str) -> str:
        return self.docker.run("compose", *args, cwd=self.path).stdout

    def services(self) -> list[dict[str, Any]]:
        """`docker compose ps`: the project's service containers, running or not."""
        out = self.compose("ps", "-a", "--format", "json").strip()
        rows = json.loads(out) if out.startswith("[") else [json.loads(x) for x in out.splitlines()]
        return [row for row in rows if row["Service"] == "rag-api"]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def edit(self, relative: str, line: str) -> None:
        with (self.path / relative).open("a") as out:
            out.write(f"\n{line}\n")


def _copy_tree(destination: Path) -> None:
    """The files git tracks or would track here (what a clone of this working tree holds)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


@pytest.fixture()
def checkout(docker_engine: None, tmp_path: Path) -> Iterator[Checkout]:
    path = tmp_path / "rag-api"
    _copy_tree(path)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "checkout"]):
        subprocess.run([*git, *args], cwd=path, check=True, capture_output=True)
    name = f"rag-api-loop-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": name,
        "RAG_IMAGE": name,
        "RAG_PUBLISHED_PORT": str(port := free_port()),
        # The scripts' uv reuses this checkout's environment instead of installing another.
        "UV_PROJECT_ENVIRONMENT": str(ROOT / ".venv"),
    }
    made = Checkout(path, env, name, port)
    yield made
    made.docker.run("compose", "down", cwd=path, check=False)
    for container in made.docker.container_names(f"label=com.docker.compose.project={name}"):
        made.docker.remove_container(container)
    tags = made.docker.run("image", "ls", name, "--format", "{{.Repository}}:{{.Tag}}").stdout
    for ref in tags.split():
        made.docker.run("image", "rm", "-f", ref, check=False)
    shutil.rmtree(path / "rag_local_storage", ignore_errors=True)


def _image_id(checkout: Checkout, container: str) -> str:
    return str(checkout.docker.container_inspect(container)["Image"])  # type: ignore[index]


def test_update_then_rollback_and_compose_manage_one_service(checkout: Checkout) -> None:
    checkout.compose("up", "-d", "--build", "--wait", "--wait-timeout", "180")
    (first,) = checkout.services()
    composed_image = _image_id(checkout, first["Name"])
    with httpx.Client(base_url=checkout.url(""), timeout=60) as http:
        document = ingest_text(http, "Updates keep the data.", title="kept")
    checkout.edit("src/retrieval.py", f"# a code-only change {uuid.uuid4()}")

    checkout.script("update.sh", "--ready-timeout", "120")
    (updated,) = checkout.services()  # the same single service, now on the new image
    assert updated["State"] == "running" and _image_id(checkout, updated["Name"]) != composed_image
    assert httpx.get(checkout.url(f"/v1/documents/{document['id']}")).status_code == 200
    up = checkout.docker.run("compose", "up", "-d", cwd=checkout.path)  # nothing to change
    assert "Recreate" not in up.stderr and [s["ID"] for s in checkout.services()] == [updated["ID"]]

    checkout.script("ragctl", "rollback", "--target", "local", "--ready-timeout", "120")
    (back,) = checkout.services()
    assert _image_id(checkout, back["Name"]) == composed_image
    assert httpx.get(checkout.url(f"/v1/documents/{document['id']}")).status_code == 200

    checkout.compose("up", "-d", "--build", "--wait", "--wait-timeout", "180")
    assert len(checkout.services()) == 1
    assert httpx.get(checkout.url("/ready")).status_code == 200
    checkout.compose("down")
    assert checkout.services() == []
    assert (
        checkout.docker.container_names(f"label=com.docker.compose.project={checkout.project}")
        == []
    )


def test_update_of_a_broken_change_keeps_the_compose_service_serving(checkout: Checkout) -> None:
    checkout.compose("up", "-d", "--build", "--wait", "--wait-timeout", "180")
    (before,) = checkout.services()
    checkout.edit("src/__init__.py", 'raise SystemExit("broken on purpose")')
    with Poller(checkout.url("/health")) as poller:
        refused = checkout.script("update.sh", "--ready-timeout", "60", check=False)
    assert refused.returncode != 0
    assert "never got ready" in refused.stderr
    assert "broken on purpose" in refused.stderr  # the candidate's last log lines
    assert poller.failures == [] and poller.answers > 3
    (after,) = checkout.services()
    assert (after["ID"], after["State"]) == (before["ID"], "running")


def test_update_on_a_fresh_machine_starts_a_service_compose_manages(checkout: Checkout) -> None:
    checkout.script("update.sh", "--ready-timeout", "120")
    (started,) = checkout.services()
    assert started["State"] == "running"
    assert httpx.get(checkout.url("/ready")).status_code == 200
    checkout.compose("up", "-d", "--build", "--wait", "--wait-timeout", "180")  # no port fight
    assert len(checkout.services()) == 1
    checkout.compose("down")
    assert checkout.services() == []
