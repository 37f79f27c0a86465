"""The benchmark report: goals judged from records, the side-by-side table, the files."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bench import goals, report
from bench.publish import publish
from bench.report import Record, summarize


def _lifecycle(ours_light: float, theirs_light: float) -> list[Record]:
    return [
        Record("code_only_rebuild", "rag-api", "seconds", 0.4, "s", 0.3, 0.5, 3),
        Record("code_only_rebuild", "reference", "seconds", 0.6, "s", 0.5, 0.7, 3),
        Record("light_dependency_rebuild", "rag-api", "seconds", ours_light, "s"),
        Record("light_dependency_rebuild", "reference", "seconds", theirs_light, "s"),
        Record("update_disk", "rag-api", "after_1", 2e9, "B"),
        Record("update_disk", "rag-api", "after_2", 2.1e9, "B"),
        Record("update_disk", "reference", "after_1", 1e9, "B"),
        Record("update_disk", "reference", "after_2", 1.5e9, "B"),
        Record("cold_build", "rag-api", "seconds", 120, "s"),
        Record("cold_build", "reference", "seconds", 30, "s"),
    ]


def _row(table: str, goal_start: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {goal_start}"))


def test_goals_table_judges_each_goal_from_the_records() -> None:
    table = goals.table(_lifecycle(ours_light=2.0, theirs_light=40.0))
    assert _row(table, "code-only rebuild").endswith("| 0.40 s | yes |")
    assert "2.0 s vs 40.0 s (20.0x) | yes |" in _row(table, "light dependency change")


def test_goals_table_flags_a_missed_goal() -> None:
    table = goals.table(_lifecycle(ours_light=10.0, theirs_light=4.0))
    assert _row(table, "light dependency change").endswith("| **no** |")


def _export_change(downloaded: float) -> list[Record]:
    return [
        Record("model_export_change", "rag-api", "seconds", 77, "s"),
        Record("model_export_change", "rag-api", "downloaded_bytes", downloaded, "B"),
        Record("update_disk", "rag-api", "after_export_change", 2.28e9, "B"),
    ]


def test_goals_table_meets_export_change_within_its_bounds() -> None:
    row = _row(goals.table(_export_change(downloaded=3.26e9)), "model-export change")
    assert row.endswith("| 77 s, 3.26 GB downloaded; disk after 2.28 GB | yes |")


def test_goals_table_flags_export_change_that_downloads_past_its_bound() -> None:
    row = _row(goals.table(_export_change(downloaded=6.5e9)), "model-export change")
    assert row.endswith("| **no** |")


def _load(one: list[float], many: float) -> list[Record]:
    records = []
    for mode in ("hybrid", "dense", "keyword"):
        records += [
            summarize("retrieve_100k_chunks_1_client", mode, "throughput", one, "req/s"),
            Record("retrieve_100k_chunks_16_clients", mode, "throughput", many, "req/s"),
        ]
    return records


def test_goals_table_keeps_sixteen_clients_within_the_one_client_spread() -> None:
    row = _row(goals.table(_load([900, 860, 930], many=870)), "req/s with 16 clients")
    assert "keyword 900 (860-930, 3 runs) -> 870" in row and row.endswith("| yes |")


def test_goals_table_flags_sixteen_clients_below_every_one_client_run() -> None:
    row = _row(goals.table(_load([900, 860, 930], many=820)), "req/s with 16 clients")
    assert row.endswith("| **no** |")


def test_goals_table_says_when_a_figure_was_not_measured() -> None:
    table = goals.table(_lifecycle(2.0, 40.0))
    assert _row(table, "the same with PyTorch").endswith("| not measured in this run | - |")
    assert _row(table, "/v1/retrieve").endswith("| not measured in this run | - |")


def test_side_by_side_puts_the_baseline_beside_rag_api() -> None:
    table = report.side_by_side(_lifecycle(2.0, 40.0))
    assert "| code_only_rebuild | seconds | 0.6 s (0.5 s-0.7 s) | 0.4 s (0.3 s-0.5 s) |" in table
    assert "| update_disk | after_2 | 1.50 GB | 2.10 GB |" in table


def test_publish_writes_records_report_and_chart(tmp_path: Path) -> None:
    records = _lifecycle(2.0, 40.0)
    markdown = publish(tmp_path, "lifecycle", records, report.meta(repetitions=3, quick=True))
    meta = json.loads((tmp_path / "lifecycle.json").read_text())["meta"]
    assert meta["quick"] is True and meta["repetitions"] == 3
    assert meta["kernel"] and meta["date"].startswith("20") and "CPUs" in meta["machine"]
    root = Path(report.__file__).resolve().parent.parent
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    expected = head.stdout.strip() if head.returncode == 0 else "unknown"  # no git checkout
    assert re.fullmatch(re.escape(expected) + "(-dirty)?", meta["commit"]), meta["commit"]
    assert report.read(tmp_path / "lifecycle.json") == records
    text = markdown.read_text()
    assert "## Goals" in text and "| lifecycle |" in text and "| quick |" in text
    assert "](lifecycle.png)" in text
    assert (tmp_path / "lifecycle.png").read_bytes().startswith(b"\x89PNG")
