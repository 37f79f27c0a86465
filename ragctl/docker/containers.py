"""Containers on the engine: run (from a typed `Run`), inspect, list, rename, start, stop,
remove, networks, logs and readiness."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl.docker.cli import Cli
from ragctl.docker.errors import NoSuchObject

_PROBE = re.compile(r'"GET /(ready|health) HTTP/[\d.]+" \d{3}')
# Run inside the container, so that readiness is checked the same way on a remote engine.
_READY_PROBE = "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/ready', timeout=2)"


@dataclass(frozen=True)
class ContainerState:
    name: str
    image_id: str
    image_ref: str
    running: bool


@dataclass(frozen=True)
class Run:
    """What `docker run` is given, option by option (the options ragctl, the benchmarks and
    the rigs use). `memory` caps memory and memory+swap alike."""

    image: str
    name: str | None = None
    command: tuple[str, ...] = ()
    entrypoint: str | None = None
    publish: tuple[str, ...] = ()
    restart: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    memory: str | None = None
    network: str | None = None
    network_aliases: tuple[str, ...] = ()
    env_file: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def options(self) -> list[str]:
        args = ["--name", self.name] if self.name else []
        args += [arg for port in self.publish for arg in ("-p", port)]
        args += ["--restart", self.restart] if self.restart else []
        args += [arg for key, value in self.labels.items() for arg in ("--label", f"{key}={value}")]
        args += [arg for volume in self.volumes for arg in ("-v", volume)]
        args += ["--memory", self.memory, "--memory-swap", self.memory] if self.memory else []
        args += ["--network", self.network] if self.network else []
        args += [f"--network-alias={alias}" for alias in self.network_aliases]
        args += ["--env-file", str(self.env_file)] if self.env_file else []
        args += [arg for key, value in self.env.items() for arg in ("-e", f"{key}={value}")]
        args += ["--entrypoint", self.entrypoint] if self.entrypoint else []
        return [*args, self.image, *self.command]


class Containers(Cli):
    def start_container(self, run: Run) -> None:
        """`docker run -d`: start it in the background."""
        self.run("run", "-d", *run.options())

    def run_output(self, run: Run) -> str:
        """`docker run --rm` in the foreground: what it printed."""
        return self.run("run", "--rm", *run.options()).stdout

    def create_container(self, name: str, image: str) -> None:
        """A container that is never started (it keeps its image in use)."""
        self.run("create", "--name", name, image)

    def container_inspect(self, name: str) -> dict[str, Any] | None:
        """`docker container inspect`, or None when there is no such container (an engine
        that cannot be reached raises `EngineUnreachable`: it is not "no container")."""
        try:
            data: dict[str, Any] = self._json("container", "inspect", name)[0]
        except NoSuchObject:
            return None
        return data

    def containers_inspect(self, *names: str) -> list[dict[str, Any]]:
        """One `docker container inspect` for every name, in the order asked."""
        found: list[dict[str, Any]] = self._json("container", "inspect", *names)
        return found

    def container(self, name: str) -> ContainerState | None:
        data = self.container_inspect(name)
        if data is None:
            return None
        running = bool(data["State"]["Running"])
        return ContainerState(name, data["Image"], data["Config"]["Image"], running)

    def container_names(self, *filters: str, stopped: bool = True) -> list[str]:
        """Names of the containers matching all `filters` (key=value); with `stopped`, those
        not running too."""
        args = [arg for f in filters for arg in ("--filter", f)]
        every = ["-a"] if stopped else []
        return self.run("ps", *every, *args, "--format", "{{.Names}}").stdout.split()

    def rename_container(self, name: str, new_name: str) -> None:
        self.run("rename", name, new_name)

    def start_stopped(self, name: str) -> None:
        """`docker start`: a stopped container runs again."""
        self.run("start", name)

    def stop_container(
        self, name: str, timeout: int | None = None, missing_ok: bool = False
    ) -> None:
        """Stop it (after `timeout` seconds, killed); with `missing_ok`, a container that is
        not there or not running is no failure."""
        args = ["stop", *(["-t", str(timeout)] if timeout is not None else []), name]
        if missing_ok:
            self._run_tolerant(*args)
        else:
            self.run(*args)

    def remove_container(self, name: str, force: bool = True, volumes: bool = False) -> None:
        """Remove it, running or not (`force`), with its anonymous volumes (`volumes`). A
        failure other than an unreachable engine is ignored: it is gone, or going."""
        self._run_tolerant("rm", *(["-f"] if force else []), *(["-v"] if volumes else []), name)

    def connect_network(self, network: str, name: str, aliases: tuple[str, ...] = ()) -> None:
        self.run("network", "connect", *[f"--alias={a}" for a in aliases], network, name)

    def exec_in(self, name: str, *command: str, user: str | None = None) -> str:
        """`docker exec`: what the command printed (a failure raises, with its stderr)."""
        return self.run("exec", *(["--user", user] if user else []), name, *command).stdout

    def try_exec(self, name: str, *command: str) -> str | None:
        """`docker exec`: what the command printed, or None when it failed."""
        result = self.run("exec", name, *command, check=False, timeout=15)
        return result.stdout if result.returncode == 0 else None

    def signal(self, name: str, signal: str) -> None:
        """`docker kill --signal`: the container's main process is told, not stopped."""
        self.run("kill", "--signal", signal, name)

    def exit_code(self, name: str) -> int | None:
        """How a container that stopped ended (None: it runs, or is not there)."""
        data = self.container_inspect(name)
        if data is None or data["State"]["Running"]:
            return None
        return int(data["State"]["ExitCode"])

    def set_restart(self, name: str, policy: str) -> None:
        """`docker update --restart`: what the engine does when the container stops."""
        self.run("update", "--restart", policy, name)

    def ensure_network(self, name: str) -> None:
        """A user-defined bridge network (containers on it find each other by name)."""
        if not self.ok("network", "inspect", name):
            self.run("network", "create", name)

    def remove_network(self, name: str) -> None:
        """Gone, or going: a failure other than an unreachable engine is ignored."""
        self._run_tolerant("network", "rm", name)

    def processes(self, name: str) -> list[str]:
        """`docker top` (ps -ef) lines, without the header: the user comes first."""
        return self.run("top", name).stdout.splitlines()[1:]

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
