"""Load generation with wrk (Debian's `wrk`): fixed-duration runs at a given number of
concurrent connections, each request a different query."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "retrieve.lua"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    busy: float = 0.0  # share of the machine's CPU time in use while it ran (wrk included)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is needed for the serving benchmarks: apt-get install wrk")
    return path


def run(
    url: str, bodies: list[str], clients: int, seconds: int, headers: tuple[str, ...] = ()
) -> LoadResult:
    """`clients` keep-alive connections sending requests back to back for `seconds`, with
    `headers` ("Name: value") on every request."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as file:
        file.write("\n".join(bodies) + "\n")
        file.flush()
        command = [
            *(wrk_path(), "-t", str(min(clients, 2)), "-c", str(clients)),
            *(arg for header in headers for arg in ("-H", header)),
            *("-d", f"{seconds}s", "--timeout", "30s", "-s", str(SCRIPT), url, "--", file.name),
        ]
        before = _cpu_times()
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        busy = _busy_share(before, _cpu_times())
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"] + data["non_2xx"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        busy=busy,
    )


def _cpu_times() -> tuple[int, int]:
    """All CPUs' (busy, total) clock ticks since boot, from the first line of /proc/stat."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0
