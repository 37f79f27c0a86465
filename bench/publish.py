"""A run's results as files: the JSON records, the chart and the markdown report. Kept out of
bench.report, which the goals and the chart import for its records: importing them back from
there made a circle."""

from __future__ import annotations

from pathlib import Path

from bench import chart, goals, report
from bench.report import Record


def publish(out: Path, name: str, records: list[Record], quick: bool) -> Path:
    """JSON records, the chart, and a markdown report with goals and figures."""
    report.write(out, name, records, quick)
    facts = report.machine()
    parts = [
        f"# Benchmark results: `{name}`{' (quick form)' if quick else ''}",
        f"Machine: {facts['processor']}, {facts['cpu_count']} CPUs, {facts['platform']}, "
        f"Python {facts['python']}; run {facts['date']}.",
        "Medians, with (min-max) where a figure was repeated.",
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
