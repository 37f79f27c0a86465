"""What commands print: progress on stderr, the result on stdout (as JSON with --json)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

_json_mode = False


def set_json(enabled: bool) -> None:
    global _json_mode
    _json_mode = enabled


def progress(message: str) -> None:
    """A step of a long command; kept off stdout so --json output stays parseable."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def result(data: dict[str, Any], human: str) -> None:
    if _json_mode:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(human)


def human_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} TB"
