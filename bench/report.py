"""Benchmark records, medians and machine facts."""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Record:
    scenario: str
    variant: str
    metric: str
    value: float
    unit: str
    min: float | None = None
    max: float | None = None
    runs: int = 1


def summarize(scenario: str, variant: str, metric: str, samples: list[float], unit: str) -> Record:
    return Record(
        scenario,
        variant,
        metric,
        round(statistics.median(samples), 4),
        unit,
        round(min(samples), 4),
        round(max(samples), 4),
        len(samples),
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": _cpu_model(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write(name: str, records: list[Record]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), "records": [asdict(r) for r in records]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def table(records: list[Record]) -> str:
    lines = [
        "| scenario | variant | metric | median | min-max | unit | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        spread = f"{r.min:g}-{r.max:g}" if r.min is not None else ""
        lines.append(
            f"| {r.scenario} | {r.variant} | {r.metric} | {r.value:g} | {spread} "
            f"| {r.unit} | {r.runs} |"
        )
    return "\n".join(lines)
