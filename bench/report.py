"""Benchmark records, medians and machine facts."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
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


def meta(repetitions: int, quick: bool) -> dict[str, Any]:
    """What a results file says about its own run: when, on what, from which code, and how
    many times each repeated figure was measured (a record's `runs` says which were)."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs, {_memory_gb()} GB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit(),
        "repetitions": repetitions,
        "quick": quick,
    }


def commit() -> str:
    """The checkout's commit, with `-dirty` when the tree differs from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
    return f"{head}-dirty" if dirty else head


def _memory_gb() -> int:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return round(kib / 1024**2)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write(out: Path, name: str, records: list[Record], run: dict[str, Any]) -> Path:
    """`run` is the suite's `meta` (for `all`, a map of suite name to each suite's meta)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    payload = {"meta": run, "records": [asdict(r) for r in records]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def read(path: Path) -> list[Record]:
    return [Record(**r) for r in json.loads(path.read_text())["records"]]


def read_meta(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(path.read_text())["meta"]
    return meta


def human(value: float, unit: str) -> str:
    """A figure as a reader wants it: bytes in kB/MB/GB, 3 significant digits, a bare ratio
    (nDCG, recall) with 3 decimals."""
    if unit == "":
        return f"{value:.3f}"
    if unit == "B":
        for scale, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if value >= scale:
                return f"{value / scale:.3g} {name}" if scale < 1e9 else f"{value / scale:.2f} GB"
        return f"{value:g} B"
    return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def spread(r: Record) -> str:
    """A repeated figure's range, as " (min-max)"; nothing for a single run."""
    if r.runs > 1 and r.min is not None and r.max is not None:
        return f" ({human(r.min, r.unit)}-{human(r.max, r.unit)})"
    return ""


def _cell(r: Record) -> str:
    return human(r.value, r.unit) + spread(r)


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
