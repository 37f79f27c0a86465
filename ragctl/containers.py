"""Health-gated replacement of the running container on the local engine."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ragctl import config, docker
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.runner import run


@dataclass(frozen=True)
class Target:
    name: str = config.CONTAINER
    port: int = config.PORT
    env_file: Path | None = None
    data_dir: Path = config.DATA_DIR
    ready_timeout: float = config.READY_TIMEOUT_S


def run_args(target: Target, image: str, name: str, publish: str) -> list[str]:
    """The reference's `docker run`, plus a restart policy and a label to find it by."""
    args = [
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "-p",
        publish,
        "--restart",
        "unless-stopped",
        "--label",
        f"rag-api.target={target.name}",
        "-v",
        f"{target.data_dir.resolve()}:{config.CONTAINER_DATA}",
    ]
    if target.env_file is not None:
        if not target.env_file.is_file():
            raise RagctlError(
                f"env file {target.env_file} does not exist",
                hint="create it from .env.example, or leave out --env-file",
            )
        args += ["--env-file", str(target.env_file)]
    return [*args, image]


def _start_and_wait(target: Target, image: str, name: str, publish: str) -> tuple[bool, str]:
    docker.remove_container(name)
    run(run_args(target, image, name, publish))
    url = f"http://127.0.0.1:{docker.host_port(name)}/ready"
    ready = docker.wait_ready(url, target.ready_timeout, still_running=name)
    return ready, "" if ready else docker.logs_tail(name)


def _refuse(image: str, why: str, logs: str) -> RagctlError:
    return RagctlError(
        f"{image} {why}; the running version was kept",
        hint="fix the image and retry; its last log lines follow",
        details=logs,
    )


def check_port_owner(target: Target) -> None:
    out = run(
        ["docker", "ps", "--filter", f"publish={target.port}", "--format", "{{.Names}}"]
    ).stdout.split()
    others = [name for name in out if name != target.name]
    if others:
        raise RagctlError(
            f"port {target.port} is already published by {', '.join(others)}",
            hint="stop it (e.g. `docker compose down`) or use --port",
        )


def replace(target: Target, image: str) -> float:
    """Start `image` as `target.name` once it has proven it gets ready; returns the seconds the
    port was not served. The old container keeps serving until the candidate is ready."""
    check_port_owner(target)
    candidate = f"{target.name}-candidate"
    progress(f"starting {image} as a candidate (waiting up to {target.ready_timeout:g}s)")
    ready, logs = _start_and_wait(target, image, candidate, "127.0.0.1::8000")
    docker.remove_container(candidate)
    if not ready:
        raise _refuse(image, "never got ready", logs)
    previous = docker.container(target.name)
    if previous is not None:
        run(["docker", "rename", target.name, f"{target.name}-previous"])
        run(["docker", "stop", "-t", "10", f"{target.name}-previous"])
    switched = time.monotonic()
    progress(f"switching {target.name} to {image}")
    ready, logs = _start_and_wait(target, image, target.name, f"{target.port}:8000")
    if not ready:
        docker.remove_container(target.name)
        if previous is not None:
            run(["docker", "rename", f"{target.name}-previous", target.name])
            run(["docker", "start", target.name])
        raise _refuse(image, "got ready as a candidate but not once switched", logs)
    gap = time.monotonic() - switched
    if previous is not None:
        docker.remove_container(f"{target.name}-previous")
    return gap
