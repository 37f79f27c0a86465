"""A run's results as files: the JSON records, the chart and the markdown report. Kept out of
bench.report, which the goals and the chart import for its records: importing them back from
there made a circle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import chart, goals, report
from bench.report import Record


def publish(out: Path, name: str, records: list[Record], run: dict[str, Any]) -> Path:
    """JSON records, the chart, and a markdown report with goals and figures. `run` is the
    suite's meta, or for `all` each suite's meta by name."""
    report.write(out, name, records, run)
    suites = run if name == "all" else {name: run}
    parts = [
        f"# Benchmark results: `{name}`",
        "Each suite's own run (a figure comes from the run of the suite that measured it):",
        runs_table(suites),
        "Medians, with (min-max) where a figure was repeated; `runs` in the JSON records says "
        "how many times each figure was measured.",
        "## Goals",
        goals.table(records),
        "## Figures, side by side",
        report.side_by_side(records),
    ]
    if any(r.scenario.endswith("cold_build") or r.scenario == "update_disk" for r in records):
        png = chart.draw(records, out / f"{name}.png")
        parts.append(f"![build times and disk over update cycles]({png.name})")
    path = out / f"{name}.md"
    path.write_text("\n\n".join(parts) + "\n")
    return path


def runs_table(suites: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| suite | date | machine | kernel | commit | repetitions | form |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, meta in suites.items():
        form = "quick" if meta["quick"] else "full"
        commit = meta["commit"][:12] + ("-dirty" if meta["commit"].endswith("-dirty") else "")
        if "backfilled" in meta:  # written before results carried a meta of their own
            commit += " (backfilled)"
        lines.append(
            f"| {name} | {meta['date']} | {meta['machine']} | {meta['kernel']} "
            f"| {commit} | {meta['repetitions']} | {form} |"
        )
    return "\n".join(lines)
