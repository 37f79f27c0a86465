"""The two ways of building and updating that the benchmarks compare, each driven against the
engine of its Docker client:

- `reference`: the reference document's Dockerfile (bench/reference/Dockerfile), plain
  `docker buildx build`, and its update.sh (build, stop, remove, run, `docker image prune -f`);
- `rag-api`: the project's Dockerfile and `ragctl build` / `ragctl update`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.build import ragctl_json
from ragctl.docker import Build, Docker, Run

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DOCKERFILE = ROOT / "bench" / "reference" / "Dockerfile"
# The reference's image has no embedding model (it never exports one): its container gets
# ours, read-only, so that it can serve at all.
MODEL_DIR = ROOT / "models" / "all-MiniLM-L6-v2"


class Variant(Protocol):
    name: str
    docker: Docker

    def build(self, source: Path, version: str, heavy: bool = False) -> float: ...

    def size(self, version: str) -> int: ...

    def update(
        self, source: Path, version: str, port: int, data: Path, heavy: bool = False
    ) -> None: ...

    def stop(self) -> None: ...


def image_size(docker: Docker, ref: str) -> int:
    return int(docker.image_inspect(ref)["Size"])


@dataclass
class Reference:
    docker: Docker
    image: str = "rag-api-reference"
    name: str = "reference"
    container: str = "rag-api-reference-bench"

    def build(self, source: Path, version: str, heavy: bool = False) -> float:
        ca_bundle = os.environ.get("RAG_CA_BUNDLE")
        build = Build(
            context=source,
            dockerfile=REFERENCE_DOCKERFILE,
            tags=(f"{self.image}:{version}",),
            secrets={"ca_bundle": ca_bundle} if ca_bundle else {},
            build_args={"WITH_HEAVY": "1"} if heavy else {},
        )
        started = time.monotonic()
        self.docker.buildx_build(build)
        return time.monotonic() - started

    def size(self, version: str) -> int:
        return image_size(self.docker, f"{self.image}:{version}")

    def update(
        self, source: Path, version: str, port: int, data: Path, heavy: bool = False
    ) -> None:
        """The reference's scripts/update.sh, step by step (it tags one `latest` only)."""
        self.build(source, "latest", heavy)
        self.docker.stop_container(self.container, missing_ok=True)
        self.docker.remove_container(self.container, force=False)
        volumes = (f"{data}:/app/rag_local_storage", f"{MODEL_DIR}:/app/model:ro")
        env = {"RAG_MODEL_DIR": "/app/model", "RAG_STORAGE_DIR": "/app/rag_local_storage"}
        self.docker.start_container(
            Run(
                f"{self.image}:latest",
                name=self.container,
                publish=(f"{port}:8000",),
                volumes=volumes,
                env=env,
            )
        )
        self.docker.prune_dangling_images()

    def stop(self) -> None:
        self.docker.remove_container(self.container)


@dataclass
class RagApi:
    docker: Docker
    image: str = "rag-api-bench"
    name: str = "rag-api"
    container: str = "rag-api-bench"
    steps: list[dict[str, Any]] = field(default_factory=list)  # the last build's steps

    def _ragctl(self, *args: str) -> float:
        target = ("--target", self.docker.engine.address)
        report = ragctl_json(*args, "--image", self.image, *target)
        self.steps = report.get("steps", [])
        return float(report.get("seconds") or 0)

    def rebuilt(self, text: str) -> int:
        """How many steps of the last build that mention `text` ran rather than hit cache."""
        return sum(1 for s in self.steps if s["status"] == "done" and text in s["instruction"])

    def build(self, source: Path, version: str, heavy: bool = False) -> float:
        extra = ["--with-heavy"] if heavy else []
        return self._ragctl("build", "--source", str(source), "--version", version, *extra)

    def size(self, version: str) -> int:
        return image_size(self.docker, f"{self.image}:{version}")

    def update(
        self, source: Path, version: str, port: int, data: Path, heavy: bool = False
    ) -> None:
        self._ragctl(
            *("update", "--source", str(source), "--version", version),
            *("--name", self.container, "--port", str(port), "--data", str(data)),
            *(["--with-heavy"] if heavy else []),
        )

    def stop(self) -> None:
        self.docker.remove_container(self.container)
