"""Health-gated replacement of the service's container on one engine: the new image must
answer /ready as a candidate while the old container serves; only then is the port switched."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ragctl import config
from ragctl.docker import Docker, Run
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


def run_spec(spec: ServiceSpec, image: str, name: str, publish: str | None) -> Run:
    """The reference's `docker run`; the serving container gets the port, a restart policy
    and the labels. A candidate gets neither port nor restart policy: a crash stops it."""
    serving = publish is not None
    # A candidate joins the networks (to reach a database) but answers to none of the
    # service's names there.
    first = list(spec.networks.items())[:1]
    return Run(
        image,
        name=name,
        publish=(publish,) if publish is not None else (),
        restart="unless-stopped" if serving else None,
        labels=spec.labels if serving else {},
        volumes=(spec.mount(),),
        # One container cannot take the host, however it was started (compose sets the same).
        memory=config.memory_limit(),
        network=first[0][0] if first else None,
        network_aliases=tuple(first[0][1]) if first and serving else (),
        env_file=_existing(spec.env_file),
    )


def _existing(env_file: Path | None) -> Path | None:
    if env_file is not None and not env_file.is_file():
        raise RagctlError(
            f"env file {env_file} does not exist",
            hint="create it from .env.example, or leave out --env-file",
        )
    return env_file


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
        names = docker.container_names(f"publish={port}", stopped=False)
        others = [name for name in names if name != self.spec.name]
        if others:
            raise RagctlError(
                f"port {port} is already published by {', '.join(others)}",
                hint="stop it, or use --port",
            )

    def start_and_wait(self, image: str, name: str, publish: str | None) -> tuple[bool, str]:
        self.docker.remove_container(name)
        self.docker.start_container(run_spec(self.spec, image, name, publish))
        for network, aliases in list(self.spec.networks.items())[1:]:
            aliased = tuple(aliases) if publish else ()
            self.docker.connect_network(network, name, aliased)
        ready = self.docker.wait_container_ready(name, self.spec.ready_timeout)
        return ready, "" if ready else self.docker.logs_tail(name)

    def restore(self, had_previous: bool, old_image: str | None) -> None:
        self.docker.remove_container(self.spec.name)
        if self.spec.service_image and old_image:
            self.docker.tag(old_image, self.spec.service_image)
        if had_previous:
            self.docker.rename_container(self.previous, self.spec.name)
            self.docker.start_stopped(self.spec.name)


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
        docker.rename_container(spec.name, switch.previous)
        docker.stop_container(switch.previous, timeout=10)
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
