"""Health-gated replacement of the service's container on one engine: the new image must
answer /ready as a candidate while the old container serves; only then is the port switched."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ragctl import config
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import progress


@dataclass(frozen=True)
class ServiceSpec:
    """How the service's container is started."""

    name: str = config.CONTAINER
    port: int = config.PORT
    env_file: Path | None = None
    # A named volume, or a directory on the engine's host (absolute, or relative to here).
    volume: str = str(config.DATA_DIR)
    ready_timeout: float = config.READY_TIMEOUT_S
    labels: dict[str, str] = field(default_factory=dict)  # the serving container's only
    networks: dict[str, list[str]] = field(default_factory=dict)  # network -> aliases
    # Moved to the new image once it serves (compose's service image, see service.py).
    service_image: str | None = None

    def mount(self) -> str:
        source = self.volume
        if "/" in source or source.startswith("."):
            source = str(Path(source).resolve())
        return f"{source}:{config.CONTAINER_DATA}"


def run_args(spec: ServiceSpec, image: str, name: str, publish: str | None) -> list[str]:
    """The reference's `docker run`; the serving container gets the port, a restart policy
    and the labels. A candidate gets neither port nor restart policy: a crash stops it."""
    args = ["run", "-d", "--name", name]
    if publish is not None:
        args += ["-p", publish, "--restart", "unless-stopped"]
        for key, value in spec.labels.items():
            args += ["--label", f"{key}={value}"]
    # One container cannot take the host, however it was started (compose sets the same).
    memory = config.memory_limit()
    args += ["-v", spec.mount(), "--memory", memory, "--memory-swap", memory]
    # A candidate joins the networks (to reach a database) but answers to none of the
    # service's names there.
    for network, aliases in list(spec.networks.items())[:1]:
        named = aliases if publish is not None else []
        args += ["--network", network, *[f"--network-alias={a}" for a in named]]
    if spec.env_file is not None:
        if not spec.env_file.is_file():
            raise RagctlError(
                f"env file {spec.env_file} does not exist",
                hint="create it from .env.example, or leave out --env-file",
            )
        args += ["--env-file", str(spec.env_file)]
    return [*args, image]


@dataclass(frozen=True)
class Switch:
    """One replacement of `spec.name` on `docker`'s engine."""

    docker: Docker
    spec: ServiceSpec

    @property
    def previous(self) -> str:
        return f"{self.spec.name}-previous"

    def check_port_owner(self) -> None:
        port, docker = self.spec.port, self.docker
        names = docker.run("ps", "--filter", f"publish={port}", "--format", "{{.Names}}")
        others = [name for name in names.stdout.split() if name != self.spec.name]
        if others:
            raise RagctlError(
                f"port {port} is already published by {', '.join(others)}",
                hint="stop it, or use --port",
            )

    def start_and_wait(self, image: str, name: str, publish: str | None) -> tuple[bool, str]:
        self.docker.remove_container(name)
        self.docker.run(*run_args(self.spec, image, name, publish))
        for network, aliases in list(self.spec.networks.items())[1:]:
            aliased = [f"--alias={a}" for a in aliases] if publish else []
            self.docker.run("network", "connect", *aliased, network, name)
        ready = self.docker.wait_container_ready(name, self.spec.ready_timeout)
        return ready, "" if ready else self.docker.logs_tail(name)

    def restore(self, had_previous: bool, old_image: str | None) -> None:
        self.docker.remove_container(self.spec.name)
        if self.spec.service_image and old_image:
            self.docker.tag(old_image, self.spec.service_image)
        if had_previous:
            self.docker.run("rename", self.previous, self.spec.name)
            self.docker.run("start", self.spec.name)


def _refuse(image: str, why: str, logs: str) -> RagctlError:
    return RagctlError(
        f"{image} {why}; the running version was kept",
        hint="fix the image and retry; its last log lines follow",
        details=logs,
    )


def replace(docker: Docker, spec: ServiceSpec, image: str) -> float:
    """Start `image` as `spec.name` once it has proven it gets ready; returns the seconds the
    port was not served. The old container keeps serving until the candidate is ready."""
    switch = Switch(docker, spec)
    switch.check_port_owner()
    candidate = f"{spec.name}-candidate"
    progress(f"starting {image} as a candidate (waiting up to {spec.ready_timeout:g}s)")
    ready, logs = switch.start_and_wait(image, candidate, None)
    docker.remove_container(candidate)
    if not ready:
        raise _refuse(image, "never got ready", logs)
    old = docker.container(spec.name)
    docker.remove_container(switch.previous)
    if old is not None:
        docker.run("rename", spec.name, switch.previous)
        docker.run("stop", "-t", "10", switch.previous)
    if spec.service_image:
        docker.tag(image, spec.service_image)
    switched = time.monotonic()
    progress(f"switching {spec.name} to {image}")
    ready, logs = switch.start_and_wait(image, spec.name, f"{spec.port}:8000")
    if not ready:
        switch.restore(old is not None, old.image_id if old else None)
        raise _refuse(image, "got ready as a candidate but not once switched", logs)
    gap = time.monotonic() - switched
    if old is not None:
        docker.remove_container(switch.previous)
    return gap
