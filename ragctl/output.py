"""What commands print: progress on stderr as they go; their result, which they return as a
`Report`, printed once by `__main__` through the printer chosen there (text, or --json)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ragctl.errors import RagctlError


@dataclass(frozen=True)
class Report:
    """A command's result: as data (--json) and as text, and the exit code it means."""

    data: dict[str, Any]
    text: str
    exit_code: int = 0


class Printer(Protocol):
    def result(self, report: Report) -> None: ...

    def error(self, exc: RagctlError) -> None: ...


class TextPrinter:
    def result(self, report: Report) -> None:
        print(report.text)

    def error(self, exc: RagctlError) -> None:
        print(f"ragctl: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"ragctl: hint: {exc.hint}", file=sys.stderr)
        if exc.details:
            print(exc.details, file=sys.stderr)


class JsonPrinter(TextPrinter):
    """The result as JSON on stdout; an error too, and on stderr as text as well."""

    def result(self, report: Report) -> None:
        print(json.dumps(report.data, indent=2, default=str))

    def error(self, exc: RagctlError) -> None:
        print(json.dumps({"error": exc.message, "hint": exc.hint, "details": exc.details}))
        super().error(exc)


def printer(as_json: bool) -> Printer:
    return JsonPrinter() if as_json else TextPrinter()


def progress(message: str) -> None:
    """A step of a long command; kept off stdout so --json output stays parseable."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def human_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} TB"
