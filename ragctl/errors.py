"""The one error type ragctl raises; caught once in `__main__` and mapped to an exit code."""

from __future__ import annotations

from collections.abc import Sequence


class RagctlError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str = "", details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class CommandError(RagctlError):
    """A subprocess failed: carries the command, its exit code, stdout and stderr."""

    exit_code = 2

    def __init__(self, args: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        tail = (stderr or stdout).strip().splitlines()[-15:]
        super().__init__(f"`{' '.join(args)}` exited with {returncode}", details="\n".join(tail))
        self.args_list = list(args)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
