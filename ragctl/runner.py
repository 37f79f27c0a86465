"""The one way ragctl runs programs: argument lists (never a shell), logged before running."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragctl.errors import CommandError, RagctlError

log = logging.getLogger("ragctl")


@dataclass(frozen=True)
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run(
    args: Sequence[str],
    *,
    stdin: str | None = None,
    check: bool = True,
    timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run `args`; stdin is passed as data (secrets go there, never into `args`).

    With `on_line`, the merged output is streamed line by line as it comes (long builds).
    `env` replaces the environment (None: this process's); `cwd` is where it runs.
    """
    log.info("$ %s", " ".join(args))
    place = _Place(None if env is None else dict(env), cwd)
    try:
        if on_line is not None:
            return _stream(list(args), check, on_line, place)
        done = subprocess.run(
            list(args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=place.env,
            cwd=place.cwd,
        )
    except FileNotFoundError as exc:
        raise RagctlError(f"{args[0]} is not installed", hint="install it and retry") from exc
    except subprocess.TimeoutExpired as exc:
        raise RagctlError(f"`{' '.join(args)}` did not finish in {timeout:g}s") from exc
    result = Result(list(args), done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise CommandError(args, done.returncode, done.stdout, done.stderr)
    return result


@dataclass(frozen=True)
class _Place:
    """The environment and working directory a command runs in."""

    env: dict[str, str] | None
    cwd: Path | None


def _stream(args: list[str], check: bool, on_line: Callable[[str], None], place: _Place) -> Result:
    lines: list[str] = []
    with subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env=place.env,
        cwd=place.cwd,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            on_line(line.rstrip("\n"))
        returncode = process.wait()
    output = "".join(lines)
    if check and returncode != 0:
        raise CommandError(args, returncode, output, output)
    return Result(args, returncode, output, "")
