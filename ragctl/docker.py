"""The one Docker client: the docker CLI against one engine, named when the client is made.

Every Docker command of ragctl, the benchmarks and the rig goes through a `Docker` object, so
the engine a command talks to is always explicit (no environment or module state decides it).
Commands are argument lists, logged before they run; a failure raises `CommandError` with the
command, its exit code and its stderr.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl.errors import CommandError, RagctlError
from ragctl.runner import Result, run

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
# Run inside the container, so that readiness is checked the same way on a remote engine.
_READY_PROBE = "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/ready', timeout=2)"


@dataclass(frozen=True)
class Engine:
    """Where commands go: `local`, a Docker host URL (ssh://, tcp://, unix://) or
    `context:NAME` (a Docker context)."""

    address: str = "local"

    def __post_init__(self) -> None:
        self.flags  # noqa: B018 - an unknown address fails here, before any command runs

    @property
    def flags(self) -> tuple[str, ...]:
        if self.address == "local":
            return ()
        if self.address.startswith("context:"):
            return ("--context", self.address.removeprefix("context:"))
        if "://" in self.address:
            return ("-H", self.address)
        raise RagctlError(
            f"unknown engine {self.address!r}",
            hint="use local, ssh://user@host, tcp://host:port, unix:///path or context:NAME",
        )

    @property
    def is_local(self) -> bool:
        return self.address == "local"


@dataclass(frozen=True)
class ContainerState:
    name: str
    image_id: str
    image_ref: str
    running: bool


@dataclass(frozen=True)
class Docker:
    """The docker CLI against `engine`. `env` replaces the environment of the commands (the
    benchmarks give each client its own DOCKER_CONFIG); None keeps this process's."""

    engine: Engine = field(default_factory=Engine)
    env: Mapping[str, str] | None = None

    @classmethod
    def at(cls, address: str) -> Docker:
        return cls(Engine(address))

    def argv(self, *args: str) -> list[str]:
        """The command line for `args` on this client's engine."""
        return ["docker", *self.engine.flags, *args]

    def run(
        self,
        *args: str,
        check: bool = True,
        stdin: str | None = None,
        timeout: float | None = None,
        on_line: Callable[[str], None] | None = None,
        cwd: Path | None = None,
    ) -> Result:
        return run(
            self.argv(*args),
            check=check,
            stdin=stdin,
            timeout=timeout,
            on_line=on_line,
            env=self.env,
            cwd=cwd,
        )

    def ok(self, *args: str) -> bool:
        """Whether the command succeeds (its output is not needed)."""
        return self.run(*args, check=False).returncode == 0

    def json_lines(self, *args: str) -> list[dict[str, Any]]:
        """Rows of a `--format '{{json .}}'` listing."""
        out = self.run(*args, "--format", "{{json .}}").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def pipe_to(self, other: Docker, source: tuple[str, ...], sink: tuple[str, ...]) -> None:
        """`docker <source> | docker <sink>` across two engines (`save` into `load`)."""
        with subprocess.Popen(self.argv(*source), stdout=subprocess.PIPE, env=self.env) as out:
            done = subprocess.run(
                other.argv(*sink), stdin=out.stdout, capture_output=True, env=other.env
            )
        for args, code in (
            (self.argv(*source), out.returncode),
            (other.argv(*sink), done.returncode),
        ):
            if code != 0:
                raise CommandError(args, code, "", done.stderr.decode(errors="replace"))

    # ---- the engine ----

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.run("info", "--format", "{{json .}}").stdout)
        return data

    def root_dir(self) -> str:
        return str(self.info().get("DockerRootDir", "/var/lib/docker"))

    # ---- images ----

    def image_exists(self, ref: str) -> bool:
        return self.ok("image", "inspect", ref)

    def image_inspect(self, ref: str) -> dict[str, Any]:
        result = self.run("image", "inspect", ref, check=False)
        if result.returncode != 0:
            raise RagctlError(
                f"no image {ref!r} on {self.engine.address}", hint="build or pull it first"
            )
        data: dict[str, Any] = json.loads(result.stdout)[0]
        return data

    def image_ids(self, *refs: str) -> dict[str, str]:
        """The image ID of each ref that exists."""
        found = {ref: self.run("image", "inspect", ref, check=False) for ref in refs}
        return {
            ref: str(json.loads(result.stdout)[0]["Id"])
            for ref, result in found.items()
            if result.returncode == 0
        }

    def tag(self, source: str, ref: str) -> None:
        self.run("tag", source, ref)

    # ---- containers ----

    def container_inspect(self, name: str) -> dict[str, Any] | None:
        """`docker container inspect`, or None when there is no such container."""
        result = self.run("container", "inspect", name, check=False)
        if result.returncode != 0:
            return None
        data: dict[str, Any] = json.loads(result.stdout)[0]
        return data

    def container(self, name: str) -> ContainerState | None:
        data = self.container_inspect(name)
        if data is None:
            return None
        running = bool(data["State"]["Running"])
        return ContainerState(name, data["Image"], data["Config"]["Image"], running)

    def container_names(self, *filters: str) -> list[str]:
        """Names of every container (running or not) matching all `filters` (key=value)."""
        args = [arg for f in filters for arg in ("--filter", f)]
        return self.run("ps", "-a", *args, "--format", "{{.Names}}").stdout.split()

    def remove_container(self, name: str) -> None:
        self.run("rm", "-f", name, check=False)

    def logs_tail(self, name: str, lines: int = 30) -> str:
        """The container's last log lines, without our own readiness probes' access lines
        (a minute of polling would otherwise push the start-up error out of view)."""
        result = self.run("logs", "--tail", "2000", name, check=False)
        output = (result.stdout + result.stderr).splitlines()
        kept = [line for line in output if not _PROBE.search(line)]
        return "\n".join(kept[-lines:]).strip()

    def host_port(self, name: str, container_port: int = 8000) -> int:
        out = self.run("port", name, f"{container_port}/tcp").stdout.strip().splitlines()
        return int(out[0].rsplit(":", 1)[1])

    def wait_container_ready(self, name: str, timeout: float) -> bool:
        """Probe /ready from inside `name` until it answers; False on timeout or if it stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.container(name)
            if state is None or not state.running:
                return False
            probe = self.run("exec", name, "python", "-c", _READY_PROBE, check=False, timeout=15)
            if probe.returncode == 0:
                return True
            time.sleep(0.3)
        return False


def parse_size(text: str) -> float:
    """'1.2GB' -> bytes, as `docker system df` prints them."""
    match = _SIZE.match(text.strip())
    if not match:
        return 0.0
    return float(match.group(1)) * _UNITS.get(match.group(2), 1)


def local_free_bytes(root_dir: str) -> int:
    """Free space under a local engine's root (a remote one is measured by the rollout)."""
    path = root_dir if Path(root_dir).exists() else "/"
    return shutil.disk_usage(path).free
