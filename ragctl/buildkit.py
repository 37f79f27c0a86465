"""Reading BuildKit's plain progress output: which steps were cached and how long each took."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_STEP = re.compile(r"^#(\d+) \[([^\]]+)\] (.+)$")
_DONE = re.compile(r"^#(\d+) DONE ([\d.]+)s$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_ERROR = re.compile(r"^#(\d+) ERROR")
# uv's summary line: packages it had to download (or build), as opposed to those its cache held.
_PREPARED = re.compile(r"^#(\d+) [\d.]+ Prepared (\d+) packages? in ")


@dataclass
class Step:
    id: int
    stage: str
    instruction: str
    status: str = "running"  # cached, done, error
    seconds: float = 0.0
    prepared: int = 0  # packages uv downloaded or built in this step (not from its cache)

    @property
    def internal(self) -> bool:
        # FROM only resolves the base image and [auth] hands registry credentials to
        # BuildKit; neither builds a layer of ours.
        return self.stage in ("internal", "auth") or self.instruction.startswith(("load ", "FROM "))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BuildLog:
    """Feed it lines as they come; ask for the steps at the end."""

    def __init__(self) -> None:
        self._steps: dict[int, Step] = {}

    def feed(self, line: str) -> Step | None:
        """Returns the step whose status this line settled, if any."""
        if match := _STEP.match(line):
            step_id = int(match.group(1))
            if step_id not in self._steps:
                stage = match.group(2).split(" ")[0]
                self._steps[step_id] = Step(step_id, stage, match.group(3).strip())
            return None
        if (match := _PREPARED.match(line)) and int(match.group(1)) in self._steps:
            self._steps[int(match.group(1))].prepared += int(match.group(2))
            return None
        for pattern, status in ((_CACHED, "cached"), (_DONE, "done"), (_ERROR, "error")):
            if (match := pattern.match(line)) and int(match.group(1)) in self._steps:
                step = self._steps[int(match.group(1))]
                step.status = status
                if status == "done":
                    step.seconds = float(match.group(2))
                return step
        return None

    def steps(self, include_internal: bool = False) -> list[Step]:
        return [s for s in self._steps.values() if include_internal or not s.internal]
