"""The docker CLI against one engine: the only place a `docker` argument list is spelled.

Every command is logged before it runs; a failure raises a `DockerError` of the kind its
stderr names (see errors.py). The typed methods (images.py, containers.py, builds.py,
system.py) build on `run`; the rest of ragctl, the benchmarks and the rigs call only those."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl.docker.engine import Engine
from ragctl.docker.errors import DockerError, EngineUnreachable, classify
from ragctl.runner import Result
from ragctl.runner import run as run_program


@dataclass(frozen=True)
class Cli:
    """The docker CLI against `engine`. `env` replaces the environment of the commands (the
    benchmarks give each client its own DOCKER_CONFIG); None keeps this process's."""

    engine: Engine = field(default_factory=Engine)
    env: Mapping[str, str] | None = None

    @property
    def where(self) -> str:
        """The engine as an operator would name it (DOCKER_HOST decides where `local` is)."""
        if not self.engine.is_local:
            return self.engine.address
        return (self.env if self.env is not None else os.environ).get("DOCKER_HOST", "local")

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
        """Any docker command: the typed methods' building block (and the tests')."""
        result = run_program(
            self.argv(*args),
            check=False,
            stdin=stdin,
            timeout=timeout,
            on_line=on_line,
            env=self.env,
            cwd=cwd,
        )
        if check and result.returncode != 0:
            # A streamed command's stderr is merged into its stdout.
            stderr = result.stderr or result.stdout
            raise classify(result.args, result.returncode, result.stdout, stderr, self.where)
        return result

    def _run_tolerant(self, *args: str) -> None:
        """Run a clean-up whose failure (already gone, in use) changes nothing; an engine
        that cannot be reached still raises, as it must never pass for "already gone"."""
        try:
            self.run(*args)
        except EngineUnreachable:
            raise
        except DockerError:
            pass

    def ok(self, *args: str) -> bool:
        """Whether the command succeeds (its output is not needed)."""
        return self.run(*args, check=False).returncode == 0

    def _json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)

    def _json_lines(self, *args: str) -> list[dict[str, Any]]:
        """Rows of a `--format '{{json .}}'` listing."""
        out = self.run(*args, "--format", "{{json .}}").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]
