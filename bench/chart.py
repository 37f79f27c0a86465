"""The PNG chart: build times side by side, and disk over update cycles."""

from __future__ import annotations

from pathlib import Path

from bench.report import Record

BUILDS = [
    ("cold_build", "cold build"),
    ("code_only_rebuild", "code-only"),
    ("light_dependency_rebuild", "light dep."),
    ("heavy_cold_build", "cold, PyTorch"),
    ("heavy_code_only_rebuild", "code-only, PyTorch"),
    ("heavy_light_dependency_rebuild", "light dep., PyTorch"),
]
VARIANTS = ("reference", "rag-api")


def _build_values(records: list[Record], variant: str) -> list[float]:
    by_scenario = {
        r.scenario: r.value for r in records if r.variant == variant and r.metric == "seconds"
    }
    return [by_scenario.get(scenario, 0.0) for scenario, _ in BUILDS]


def _disk(records: list[Record], variant: str, scenario: str) -> tuple[list[int], list[float]]:
    points = sorted(
        (int(r.metric.removeprefix("after_")), r.value / 1e9)
        for r in records
        if r.scenario == scenario and r.variant == variant and r.metric[6:].isdigit()
    )
    return [p[0] for p in points], [p[1] for p in points]


def draw(records: list[Record], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (builds, disk) = plt.subplots(1, 2, figsize=(13, 4.8))
    width = 0.38
    for offset, variant in ((-width / 2, "reference"), (width / 2, "rag-api")):
        xs = [i + offset for i in range(len(BUILDS))]
        bars = builds.bar(xs, _build_values(records, variant), width, label=variant)
        builds.bar_label(bars, fmt="%.1f", fontsize=7)
    builds.set_xticks(range(len(BUILDS)), [label for _, label in BUILDS], rotation=20)
    builds.set_yscale("symlog", linthresh=1)
    builds.set_ylabel("seconds (log scale; median where repeated)")
    builds.set_title("Build time")
    builds.set_ylim(top=builds.get_ylim()[1] * 6)  # headroom above the bars for the legend
    builds.legend(loc="upper left", ncols=2)
    for scenario, style, label in (
        ("update_disk", "-", ""),
        ("heavy_update_disk", ":", ", PyTorch"),
    ):
        for variant in VARIANTS:
            cycles, gigabytes = _disk(records, variant, scenario)
            if cycles:
                disk.plot(cycles, gigabytes, style, marker="o", label=f"{variant}{label}")
                disk.set_xticks(cycles)
    disk.set_xlabel("code-only update cycle")
    disk.set_ylabel("Docker root on disk (GB)")
    disk.set_ylim(bottom=0)
    disk.set_title("Disk over update cycles")
    disk.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
