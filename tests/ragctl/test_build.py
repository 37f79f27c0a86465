"""`ragctl build` and the layered Dockerfile, against the real engine."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

RUNTIME_CODE = (
    "COPY --chown=root:root main.py",
    "COPY --chown=root:root api/",
    "COPY --chown=root:root src/",
)


def _by_stage(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    stages: dict[str, list[dict[str, Any]]] = {}
    for step in report["steps"]:
        stages.setdefault(step["stage"], []).append(step)
    return stages


def test_build_tags_version_and_latest_and_reports_size(built: dict[str, Any]) -> None:
    assert built["tags"] == ["v1", "latest"]
    assert built["ref"].endswith(":v1")
    assert 100e6 < built["size_bytes"] < 1.5e9
    assert {"model", "deps", "runtime"} <= set(_by_stage(built))


def test_code_only_change_reuses_every_dependency_and_model_step(
    ragctl: Any, built: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(built["source"], source)
    with (source / "src" / "retrieval.py").open("a") as out:
        # Unique, or BuildKit would rightly reuse the layer of an earlier run's same change.
        out.write(f"\n# a code-only change {uuid.uuid4()}\n")
    report = ragctl.json(
        "build", "--source", str(source), "--image", built["image"], "--version", "v2"
    )
    rebuilt = [s["instruction"] for s in report["steps"] if s["status"] == "done"]
    assert rebuilt == ["COPY --chown=root:root src/ ./src/"], rebuilt
    for stage in ("uv", "model", "deps"):
        assert all(s["status"] == "cached" for s in _by_stage(report)[stage]), stage
    runtime = _by_stage(report)["runtime"]
    assert all(
        s["status"] == "cached" for s in runtime if not s["instruction"].startswith(RUNTIME_CODE[2])
    )


def test_light_dependency_lock_change_keeps_model_and_heavy_layers(
    ragctl: Any, built: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(built["source"], source)
    # A change to the lock that the export and heavy requirement files do not see.
    with (source / "uv.lock").open("a") as lock:
        lock.write(f"\n# lock touched {uuid.uuid4()}\n")
    report = ragctl.json(
        "build", "--source", str(source), "--image", built["image"], "--version", "v3"
    )
    stages = _by_stage(report)
    assert all(s["status"] == "cached" for s in stages["model"]), stages["model"]
    heavy = [s for s in stages["deps"] if "heavy.txt" in s["instruction"]]
    light = [s for s in stages["deps"] if "uv sync" in s["instruction"]]
    assert heavy and all(s["status"] == "cached" for s in heavy), heavy
    assert light and all(s["status"] == "done" for s in light), light
    # The runtime's uv cache held every package: a lock-only change downloads none.
    assert report["packages_prepared"] == 0, light
