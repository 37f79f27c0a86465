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


def write(out: Path, name: str, records: list[Record], quick: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    payload = {"machine": machine(), "quick": quick, "records": [asdict(r) for r in records]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def read(path: Path) -> list[Record]:
    return [Record(**r) for r in json.loads(path.read_text())["records"]]


def _human(value: float, unit: str) -> str:
    if unit == "B":
        for scale, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if value >= scale:
                return f"{value / scale:.3g} {name}" if scale < 1e9 else f"{value / scale:.2f} GB"
        return f"{value:g} B"
    return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def _cell(r: Record) -> str:
    text = _human(r.value, r.unit)
    if r.runs > 1 and r.min is not None and r.max is not None:
        text += f" ({_human(r.min, r.unit)}-{_human(r.max, r.unit)})"
    return text


def side_by_side(records: list[Record]) -> str:
    """One row per (scenario, metric), the baseline beside rag-api where both exist."""
    rows: dict[tuple[str, str], dict[str, Record]] = {}
    for r in records:
        rows.setdefault((r.scenario, r.metric), {})[r.variant] = r
    lines = [
        "| scenario | metric | reference | rag-api / variant |",
        "|---|---|---|---|",
    ]
    for (scenario, metric), by_variant in rows.items():
        theirs = by_variant.pop("reference", None)
        others = "; ".join(
            _cell(r) if v == "rag-api" else f"{v}: {_cell(r)}" for v, r in by_variant.items()
        )
        lines.append(f"| {scenario} | {metric} | {_cell(theirs) if theirs else ''} | {others} |")
    return "\n".join(lines)


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
