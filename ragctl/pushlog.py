"""What `docker push` says, line by line: which layers went up and the pushed digest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LAYER = re.compile(r"^([0-9a-f]{12}): (Pushed|Layer already exists|Mounted from .+)$")
_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: (\d+)")


@dataclass
class PushLog:
    pushed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    digest: str = ""
    manifest_bytes: int = 0

    def feed(self, line: str) -> None:
        layer = _LAYER.match(line.strip())
        if layer:
            (self.pushed if layer.group(2) == "Pushed" else self.skipped).add(layer.group(1))
            return
        digest = _DIGEST.search(line)
        if digest:
            self.digest, self.manifest_bytes = digest.group(1), int(digest.group(2))


def bytes_uploaded(log: PushLog, diff_ids: list[str], layer_sizes: list[int]) -> int:
    """Compressed bytes of the layers that went up. `docker push` names layers by the first
    12 hex digits of their diff ID; the manifest lists their sizes in the config's order."""
    counted: set[str] = set()
    total = 0
    for diff_id, size in zip(diff_ids, layer_sizes, strict=True):
        short = diff_id.removeprefix("sha256:")[:12]
        if short in log.pushed and short not in counted:
            counted.add(short)
            total += size
    return total
