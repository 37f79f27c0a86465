"""The one way ragctl runs programs: argument lists (never a shell), logged before running."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
) -> Result:
    """Run `args`; stdin is passed as data (secrets go there, never into `args`).

    With `on_line`, the merged output is streamed line by line as it comes (long builds).
    """
    log.info("$ %s", " ".join(args))
    try:
        if on_line is not None:
            return _stream(list(args), check, on_line)
        done = subprocess.run(
            list(args), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise RagctlError(f"{args[0]} is not installed", hint="install it and retry") from exc
    except subprocess.TimeoutExpired as exc:
        raise RagctlError(f"`{' '.join(args)}` did not finish in {timeout:g}s") from exc
    result = Result(list(args), done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise CommandError(args, done.returncode, done.stdout, done.stderr)
    return result


def _stream(args: list[str], check: bool, on_line: Callable[[str], None]) -> Result:
    lines: list[str] = []
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
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
