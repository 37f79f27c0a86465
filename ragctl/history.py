"""A service's deploy history: the versions it ran, newest first, kept in a label of its live
container so that every operator machine sees the same one."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

HISTORY_LABEL = "rag-api.history"


@dataclass(frozen=True)
class Deployed:
    version: str
    ref: str  # repository@digest (from a registry), repository:version or an image ID (local)
    deployed_at: float
    # Where the version is tagged on the engine (so it is never "dangling"); "" in labels
    # written before it was recorded, where the ref's own repository is meant.
    repository: str = ""

    @property
    def digest(self) -> str:
        """The immutable part of the ref: the digest or image ID, else the ref itself."""
        return self.ref.rsplit("@", 1)[-1]

    @property
    def tag_repository(self) -> str:
        if self.repository:
            return self.repository
        return repository_of(self.ref)


def repository_of(ref: str) -> str:
    """`host:5000/name` of `host:5000/name:tag` or `host:5000/name@sha256:...`."""
    if "@" in ref:
        return ref.split("@", 1)[0]
    name, _, tag = ref.rpartition(":")
    return name if name and "/" not in tag else ref


def read_history(labels: dict[str, str]) -> tuple[list[Deployed], str]:
    """The deploy history in a container's labels, and what is wrong with it if unreadable."""
    raw = labels.get(HISTORY_LABEL, "[]")
    try:
        return [Deployed(**entry) for entry in json.loads(raw)], ""
    except (TypeError, ValueError) as exc:
        return [], f"label {HISTORY_LABEL} is damaged ({exc}): {raw[:80]!r}"


def remember(
    history: list[Deployed], version: str, ref: str, keep: int, repository: str = ""
) -> list[Deployed]:
    """`ref` first, then the earlier entries (each version once), at most `keep`."""
    earlier = [entry for entry in history if entry.ref != ref]
    return [Deployed(version, ref, time.time(), repository), *earlier][:keep]


def history_label(history: list[Deployed]) -> dict[str, str]:
    return {HISTORY_LABEL: json.dumps([asdict(entry) for entry in history])}
