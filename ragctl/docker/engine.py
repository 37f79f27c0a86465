"""Which engine a client talks to, and the sizes and free space it reports."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ragctl.errors import RagctlError

_SIZE = re.compile(r"^([\d.]+)\s*([kKMGT]?i?B)$")
_UNITS = {
    "B": 1,
    "kB": 1e3,
    "KB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "TB": 1e12,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}


@dataclass(frozen=True)
class Engine:
    """Where commands go: `local`, a Docker host URL (ssh://, tcp://, unix://) or
    `context:NAME` (a Docker context)."""

    address: str = "local"

    def __post_init__(self) -> None:
        self.flags  # noqa: B018 - an unknown address fails here, before any command runs

    @property
    def flags(self) -> tuple[str, ...]:
        if self.address == "local":
            return ()
        if self.address.startswith("context:"):
            return ("--context", self.address.removeprefix("context:"))
        if "://" in self.address:
            return ("-H", self.address)
        raise RagctlError(
            f"unknown engine {self.address!r}",
            hint="use local, ssh://user@host, tcp://host:port, unix:///path or context:NAME",
        )

    @property
    def is_local(self) -> bool:
        return self.address == "local"


def parse_size(text: str) -> float:
    """'1.2GB' -> bytes, as `docker system df` prints them."""
    match = _SIZE.match(text.strip())
    if not match:
        return 0.0
    return float(match.group(1)) * _UNITS.get(match.group(2), 1)


def local_free_bytes(root_dir: str) -> int:
    """Free space under a local engine's root (a remote one is measured by the rollout)."""
    path = root_dir if Path(root_dir).exists() else "/"
    return shutil.disk_usage(path).free
