"""ragctl's own small state on the operator's machine: what was pushed, and when ECR logins
expire. Never secrets (Docker keeps its own credentials)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def state_dir() -> Path:
    explicit = os.environ.get("RAGCTL_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ragctl"


def load(name: str) -> dict[str, Any]:
    path = state_dir() / f"{name}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data


def save(name: str, data: dict[str, Any]) -> None:
    """Write atomically: an interrupted ragctl never leaves a half-written file."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{name}.json.tmp"
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    temporary.replace(directory / f"{name}.json")
