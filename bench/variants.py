"""The two ways of building and updating that the benchmarks compare, each driven against the
engine that `env` names (DOCKER_HOST):

- `reference`: the reference document's Dockerfile (bench/reference/Dockerfile), plain
  `docker buildx build`, and its update.sh (build, stop, remove, run, `docker image prune -f`);
- `rag-api`: the project's Dockerfile and `ragctl build` / `ragctl update`.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.build import ragctl_json
from ragctl.commands import df

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DOCKERFILE = ROOT / "bench" / "reference" / "Dockerfile"
# The reference's image has no embedding model (it never exports one): its container gets
# ours, read-only, so that it can serve at all.
MODEL_DIR = ROOT / "models" / "all-MiniLM-L6-v2"


class Variant(Protocol):
    name: str
    docker: Docker

    def build(self, context: Path, version: str, heavy: bool = False) -> float: ...

    def size(self, version: str) -> int: ...

    def update(self, context: Path, version: str, port: int, data: Path) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Docker:
    """The docker CLI against one engine."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["docker", *args], env=self.env, capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def image_size(self, ref: str) -> int:
        return int(self("image", "inspect", "-f", "{{.Size}}", ref).strip())

    def cache_mount_bytes(self) -> int:
        """BuildKit cache mounts: where the uv download cache lives between builds."""
        return df.cache_mount_bytes_in(self("buildx", "du", "--verbose"))


@dataclass
class Reference:
    docker: Docker
    image: str = "rag-api-reference"
    name: str = "reference"
    container: str = "rag-api-reference-bench"

    def build(self, context: Path, version: str, heavy: bool = False) -> float:
        command = ["buildx", "build", "--progress=plain", "--load", "-f", str(REFERENCE_DOCKERFILE)]
        ca_bundle = os.environ.get("RAG_CA_BUNDLE")
        if ca_bundle:
            command += ["--secret", f"id=ca_bundle,src={ca_bundle}"]
        if heavy:
            command += ["--build-arg", "WITH_HEAVY=1"]
        started = time.monotonic()
        self.docker(*command, "-t", f"{self.image}:{version}", str(context))
        return time.monotonic() - started

    def size(self, version: str) -> int:
        return self.docker.image_size(f"{self.image}:{version}")

    def update(self, context: Path, version: str, port: int, data: Path) -> None:
        """The reference's scripts/update.sh, step by step (it tags one `latest` only)."""
        self.build(context, "latest")
        self.docker("stop", self.container, check=False)
        self.docker("rm", self.container, check=False)
        self.docker(
            *("run", "-d", "--name", self.container, "-p", f"{port}:8000"),
            *("-v", f"{data}:/app/rag_local_storage", "-v", f"{MODEL_DIR}:/app/model:ro"),
            *("-e", "RAG_MODEL_DIR=/app/model", "-e", "RAG_STORAGE_DIR=/app/rag_local_storage"),
            f"{self.image}:latest",
        )
        self.docker("image", "prune", "-f")

    def stop(self) -> None:
        self.docker("rm", "-f", self.container, check=False)


@dataclass
class RagApi:
    docker: Docker
    image: str = "rag-api-bench"
    name: str = "rag-api"
    container: str = "rag-api-bench"
    steps: list[dict[str, Any]] = field(default_factory=list)  # the last build's steps

    def _ragctl(self, *args: str) -> float:
        report = ragctl_json(*args, "--image", self.image, env=self.docker.env)
        self.steps = report.get("steps", [])
        return float(report.get("seconds") or 0)

    def rebuilt(self, text: str) -> int:
        """How many steps of the last build that mention `text` ran rather than hit cache."""
        return sum(1 for s in self.steps if s["status"] == "done" and text in s["instruction"])

    def build(self, context: Path, version: str, heavy: bool = False) -> float:
        extra = ["--with-heavy"] if heavy else []
        return self._ragctl("build", "--context", str(context), "--version", version, *extra)

    def size(self, version: str) -> int:
        return self.docker.image_size(f"{self.image}:{version}")

    def update(self, context: Path, version: str, port: int, data: Path) -> None:
        self._ragctl(
            *("update", "--context", str(context), "--version", version),
            *("--name", self.container, "--port", str(port), "--data", str(data)),
        )

    def stop(self) -> None:
        self.docker("rm", "-f", self.container, check=False)
