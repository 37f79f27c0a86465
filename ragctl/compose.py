"""The first start of the service on this machine goes through `docker compose`, so that compose
owns the service from the start: a later `docker compose up -d --build` replaces it instead
of starting a second copy that fights for the port. Later updates replace it health-gated,
keeping it compose's (see service.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ragctl import config, service
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.history import repository_of
from ragctl.output import progress

COMPOSE_FILE = "compose.yaml"
PROXY_TAG = "proxy"  # compose.yaml's proxy service's image: the service's, tagged apart


@dataclass(frozen=True)
class Project:
    """The checkout's compose project, as `docker compose` run in it sees it."""

    directory: Path
    name: str

    @property
    def present(self) -> bool:
        return (self.directory / COMPOSE_FILE).is_file()

    def client(self, docker: Docker, repository: str, port: int | None) -> Docker:
        """`docker` with the variables compose.yaml reads: this image and this port."""
        env = {**(docker.env or os.environ), config.COMPOSE_PROJECT_ENV: self.name}
        env[config.IMAGE_ENV] = repository
        if port is not None:
            env["RAG_PUBLISHED_PORT"] = str(port)
        return Docker(docker.engine, env)


def start(docker: Docker, project: Project, image: str, port: int | None, timeout: float) -> str:
    """Start `image` (repository:version) as compose's service; returns its container."""
    repository = repository_of(image)
    docker.tag(image, f"{repository}:latest")  # the images compose.yaml names
    if not docker.image_exists(f"{repository}:{PROXY_TAG}"):
        docker.tag(image, f"{repository}:{PROXY_TAG}")
    composer = project.client(docker, repository, port)
    progress(f"starting {image} as {project.name}'s {config.COMPOSE_SERVICE} (docker compose)")
    composer.compose_up(project.directory, config.COMPOSE_SERVICE)
    name = service.compose_container(docker, project.name)
    if name and docker.wait_container_ready(name, timeout):
        composer.compose_up(project.directory, config.COMPOSE_PROXY)
        return name
    logs = docker.logs_tail(name) if name else ""
    composer.compose_remove(project.directory, config.COMPOSE_SERVICE)
    raise RagctlError(
        f"{image} never got ready; nothing was serving before, and nothing is now",
        hint="fix the image and retry; its last log lines follow",
        details=logs,
    )
