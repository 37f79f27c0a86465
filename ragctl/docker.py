"""Thin helpers over the Docker CLI, each one command built as an argument list."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragctl.errors import RagctlError
from ragctl.runner import run

_PROBE = re.compile(r'"GET /(ready|health) HTTP/[\d.]+" \d{3}')
_SIZE = re.compile(r"^([\d.]+)\s*([kKMGT]?i?B)$")
_UNITS = {
    "B": 1,
    "kB": 1e3,
    "KB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "TB": 1e12,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}


# The engine commands go to: [] is the local one, else ["-H", host] or ["--context", name].
_engine: ContextVar[tuple[str, ...]] = ContextVar("engine", default=())


@dataclass(frozen=True)
class Engine:
    """A Docker engine: `local`, a Docker host URL (ssh://, tcp://, unix://) or `context:NAME`."""

    spec: str = "local"

    @property
    def flags(self) -> tuple[str, ...]:
        if self.spec == "local":
            return ()
        if self.spec.startswith("context:"):
            return ("--context", self.spec.removeprefix("context:"))
        if "://" in self.spec:
            return ("-H", self.spec)
        raise RagctlError(
            f"unknown target {self.spec!r}",
            hint="use local, ssh://user@host, tcp://host:port, unix:///path or context:NAME",
        )

    @property
    def is_local(self) -> bool:
        return self.spec == "local"


@contextmanager
def on_engine(engine: Engine) -> Iterator[None]:
    """Send every `cli()` command inside the block to `engine`."""
    token = _engine.set(engine.flags)
    try:
        yield
    finally:
        _engine.reset(token)


def cli(*args: str) -> list[str]:
    """A docker command for the current engine."""
    return ["docker", *_engine.get(), *args]


def parse_size(text: str) -> float:
    """'1.2GB' -> bytes, as `docker system df` prints them."""
    match = _SIZE.match(text.strip())
    if not match:
        return 0.0
    return float(match.group(1)) * _UNITS.get(match.group(2), 1)


def info() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(cli("info", "--format", "{{json .}}")).stdout)
    return data


def root_dir() -> str:
    return str(info().get("DockerRootDir", "/var/lib/docker"))


def root_free_bytes(root_dir: str) -> int:
    # The engine is local here; a remote engine's disk is checked by the deploy commands.
    path = root_dir if Path(root_dir).exists() else "/"
    return shutil.disk_usage(path).free


def image_exists(ref: str) -> bool:
    return run(cli("image", "inspect", ref), check=False).returncode == 0


def image_inspect(ref: str) -> dict[str, Any]:
    result = run(cli("image", "inspect", ref), check=False)
    if result.returncode != 0:
        raise RagctlError(f"no image {ref!r} on this engine", hint="build or pull it first")
    data: dict[str, Any] = json.loads(result.stdout)[0]
    return data


@dataclass(frozen=True)
class ContainerState:
    name: str
    image_id: str
    image_ref: str
    running: bool


def container_inspect(name: str) -> dict[str, Any] | None:
    """`docker container inspect`, or None when there is no such container."""
    result = run(cli("container", "inspect", name), check=False)
    if result.returncode != 0:
        return None
    data: dict[str, Any] = json.loads(result.stdout)[0]
    return data


def container(name: str) -> ContainerState | None:
    data = container_inspect(name)
    if data is None:
        return None
    return ContainerState(
        name, data["Image"], data["Config"]["Image"], bool(data["State"]["Running"])
    )


def remove_container(name: str) -> None:
    run(cli("rm", "-f", name), check=False)


def logs_tail(name: str, lines: int = 30) -> str:
    """The container's last log lines, without our own readiness probes' access lines
    (a minute of polling would otherwise push the start-up error out of view)."""
    result = run(cli("logs", "--tail", "2000", name), check=False)
    kept = [
        line for line in (result.stdout + result.stderr).splitlines() if not _PROBE.search(line)
    ]
    return "\n".join(kept[-lines:]).strip()


def host_port(name: str, container_port: int = 8000) -> int:
    out = run(cli("port", name, f"{container_port}/tcp")).stdout.strip().splitlines()
    return int(out[0].rsplit(":", 1)[1])


def wait_ready(url: str, timeout: float, still_running: str | None = None) -> bool:
    """Poll `url` until it answers 200; False on timeout or when the container stops."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http only
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if still_running is not None:
            state = container(still_running)
            if state is None or not state.running:
                return False
        time.sleep(0.25)
    return False


# Run inside the container, so that readiness is checked the same way on a remote engine.
_READY_PROBE = "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/ready', timeout=2)"


def wait_container_ready(name: str, timeout: float) -> bool:
    """Probe /ready from inside `name` until it answers; False on timeout or if it stops."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = container(name)
        if state is None or not state.running:
            return False
        probe = run(cli("exec", name, "python", "-c", _READY_PROBE), check=False, timeout=15)
        if probe.returncode == 0:
            return True
        time.sleep(0.3)
    return False
