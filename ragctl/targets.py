"""A deploy target's state, kept on the target itself: the live container's settings and its
deploy history (a label on the container, so that any operator machine sees the same one)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ragctl import config, docker

HISTORY_LABEL = "rag-api.history"


@dataclass(frozen=True)
class Deployed:
    version: str
    ref: str  # repository@digest
    deployed_at: float

    @property
    def digest(self) -> str:
        return self.ref.rsplit("@", 1)[1]


@dataclass(frozen=True)
class Live:
    """What the container running now was started with (empty for a target with none)."""

    volume: str | None
    port: int | None
    env: list[str]
    history: list[Deployed]
    running_ref: str | None
    running: bool
    # Why the history label could not be read ("" when it could): a damaged label must not
    # read as "no earlier version".
    history_damage: str = ""


def _user_env(container: dict[str, Any]) -> list[str]:
    """The variables given at `docker run` (the env file), not the image's own ENV."""
    image = docker.image_inspect(container["Image"])
    own = set(image["Config"].get("Env") or [])
    return [line for line in container["Config"].get("Env") or [] if line not in own]


def read_history(labels: dict[str, str]) -> tuple[list[Deployed], str]:
    """The deploy history in a container's labels, and what is wrong with it if unreadable."""
    raw = labels.get(HISTORY_LABEL, "[]")
    try:
        return [Deployed(**entry) for entry in json.loads(raw)], ""
    except (TypeError, ValueError) as exc:
        return [], f"label {HISTORY_LABEL} is damaged ({exc}): {raw[:80]!r}"


def live(name: str) -> Live:
    # After an interrupted switch only `-previous` may be left: it still holds the settings.
    container = docker.container_inspect(name) or docker.container_inspect(f"{name}-previous")
    if container is None:
        return Live(None, None, [], [], None, running=False)
    mounts = [m for m in container["Mounts"] if m["Destination"] == config.CONTAINER_DATA]
    volume = None
    if mounts:
        volume = mounts[0].get("Name") if mounts[0]["Type"] == "volume" else mounts[0]["Source"]
    bindings = (container["HostConfig"].get("PortBindings") or {}).get("8000/tcp") or []
    port = int(bindings[0]["HostPort"]) if bindings and bindings[0].get("HostPort") else None
    history, damage = read_history(container["Config"].get("Labels") or {})
    return Live(
        volume,
        port,
        _user_env(container),
        history,
        container["Config"]["Image"],
        running=container["Name"].lstrip("/") == name and bool(container["State"]["Running"]),
        history_damage=damage,
    )


def remember(history: list[Deployed], version: str, ref: str, keep: int) -> list[Deployed]:
    """`ref` first, then the earlier entries (each version once), at most `keep`."""
    earlier = [entry for entry in history if entry.ref != ref]
    return [Deployed(version, ref, time.time()), *earlier][:keep]


def history_label(history: list[Deployed]) -> dict[str, str]:
    return {HISTORY_LABEL: json.dumps([asdict(entry) for entry in history])}


@contextmanager
def carried_env(lines: list[str]) -> Iterator[Path | None]:
    """The live container's variables as a private env file for its successor, deleted after."""
    if not lines:
        yield None
        return
    descriptor, name = tempfile.mkstemp(prefix="ragctl-env-", text=True)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write("".join(f"{line}\n" for line in lines))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
