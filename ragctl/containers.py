"""Health-gated replacement of a running container, on whichever engine is current."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ragctl import config, docker
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.runner import run

TARGET_LABEL = "rag-api.target"


@dataclass(frozen=True)
class Target:
    name: str = config.CONTAINER
    port: int = config.PORT
    env_file: Path | None = None
    # A named volume, or a directory on the engine's host (absolute, or relative to here).
    volume: str = str(config.DATA_DIR)
    ready_timeout: float = config.READY_TIMEOUT_S
    labels: dict[str, str] = field(default_factory=dict)

    def mount(self) -> str:
        source = self.volume
        if "/" in source or source.startswith("."):
            source = str(Path(source).resolve())
        return f"{source}:{config.CONTAINER_DATA}"


def run_args(target: Target, image: str, name: str, publish: str | None) -> list[str]:
    """The reference's `docker run`; the switched-to container gets the port, a restart policy
    and the labels. A candidate gets neither port nor restart policy: a crash stops it."""
    args = docker.cli("run", "-d", "--name", name, "--label", f"{TARGET_LABEL}={target.name}")
    if publish is not None:
        args += ["-p", publish, "--restart", "unless-stopped"]
        for key, value in target.labels.items():
            args += ["--label", f"{key}={value}"]
    # One container cannot take the host, however it was started (compose sets the same).
    memory = config.memory_limit()
    args += ["-v", target.mount(), "--memory", memory, "--memory-swap", memory]
    if target.env_file is not None:
        if not target.env_file.is_file():
            raise RagctlError(
                f"env file {target.env_file} does not exist",
                hint="create it from .env.example, or leave out --env-file",
            )
        args += ["--env-file", str(target.env_file)]
    return [*args, image]


def _start_and_wait(target: Target, image: str, name: str, publish: str | None) -> tuple[bool, str]:
    docker.remove_container(name)
    run(run_args(target, image, name, publish))
    ready = docker.wait_container_ready(name, target.ready_timeout)
    return ready, "" if ready else docker.logs_tail(name)


def _refuse(image: str, why: str, logs: str) -> RagctlError:
    return RagctlError(
        f"{image} {why}; the running version was kept",
        hint="fix the image and retry; its last log lines follow",
        details=logs,
    )


def check_port_owner(target: Target) -> None:
    out = run(
        docker.cli("ps", "--filter", f"publish={target.port}", "--format", "{{.Names}}")
    ).stdout.split()
    others = [name for name in out if name != target.name]
    if others:
        raise RagctlError(
            f"port {target.port} is already published by {', '.join(others)}",
            hint="stop it (e.g. `docker compose down`) or use --port",
        )


def _restore(target: Target, had_previous: bool) -> None:
    docker.remove_container(target.name)
    if had_previous:
        run(docker.cli("rename", f"{target.name}-previous", target.name))
        run(docker.cli("start", target.name))


def replace(target: Target, image: str) -> float:
    """Start `image` as `target.name` once it has proven it gets ready; returns the seconds the
    port was not served. The old container keeps serving until the candidate is ready."""
    check_port_owner(target)
    candidate = f"{target.name}-candidate"
    progress(f"starting {image} as a candidate (waiting up to {target.ready_timeout:g}s)")
    ready, logs = _start_and_wait(target, image, candidate, None)
    docker.remove_container(candidate)
    if not ready:
        raise _refuse(image, "never got ready", logs)
    previous = docker.container(target.name)
    docker.remove_container(f"{target.name}-previous")
    if previous is not None:
        run(docker.cli("rename", target.name, f"{target.name}-previous"))
        run(docker.cli("stop", "-t", "10", f"{target.name}-previous"))
    switched = time.monotonic()
    progress(f"switching {target.name} to {image}")
    ready, logs = _start_and_wait(target, image, target.name, f"{target.port}:8000")
    if not ready:
        _restore(target, previous is not None)
        raise _refuse(image, "got ready as a candidate but not once switched", logs)
    gap = time.monotonic() - switched
    if previous is not None:
        docker.remove_container(f"{target.name}-previous")
    return gap
