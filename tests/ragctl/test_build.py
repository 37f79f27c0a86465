"""`ragctl build` and the layered Dockerfile, against the real engine."""

from __future__ import annotations

import base64
import shutil
import uuid
from pathlib import Path
from typing import Any

import documents

from ragctl.docker import Docker, Run

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
    assert {"model", "e5", "deps", "runtime"} <= set(_by_stage(built))


# Run in the image: the default (a new store's: int8) and each local model load from their
# folders and embed; the multilingual one (its C engine and OpenMP runtime, loaded with
# ctypes by the image's own Python) finds the Chinese passage for a Chinese question.
EMBED_WITH_EACH = """
from src.config import Settings
from src.wiring import load_local_model
for name in ("", "all-MiniLM-L6-v2", "all-MiniLM-L6-v2-int8", "multilingual-e5-small"):
    model = load_local_model(Settings(local_model=name))
    passages = model.embed(["大熊猫以竹子为食。", "灯塔建于一八七一年。"])
    best = int((model.embed(["熊猫吃什么"], query=True) @ passages.T).argmax())
    print(model.name, passages.shape[1], best)
"""


def test_built_image_embeds_with_every_local_model(built: dict[str, Any]) -> None:
    run = Run(built["ref"], entrypoint="python", command=("-c", EMBED_WITH_EACH))
    rows = [line.split() for line in Docker().run_output(run).splitlines()]
    assert [row[:2] for row in rows] == [
        ["all-MiniLM-L6-v2-int8", "384"],
        ["all-MiniLM-L6-v2", "384"],
        ["all-MiniLM-L6-v2-int8", "384"],
        ["multilingual-e5-small", "384"],
    ]
    assert rows[3][2] == "0"


def test_built_image_reads_english_and_chinese_scans_by_ocr(built: dict[str, Any]) -> None:
    pages = [
        documents.scan(["Ferries leave from pier nine at dawn."]),
        documents.scan(["渡轮从九号码头出发。"], documents.WQY_ZENHEI),
    ]
    code = (
        "import base64, sys\nfrom src.parsing import extract_text\n"
        f"for page in {[base64.b64encode(p).decode() for p in pages]!r}:\n"
        "    print(extract_text(base64.b64decode(page), '.png').text)"
    )
    run = Run(built["ref"], entrypoint="python", command=("-c", code))
    assert Docker().run_output(run).splitlines() == [
        "Ferries leave from pier nine at dawn.",
        "渡轮从九号码头出发。",
    ]


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
    for stage in ("uv", "model", "e5", "deps"):
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
    for stage in ("model", "e5"):
        assert all(s["status"] == "cached" for s in stages[stage]), stages[stage]
    heavy = [s for s in stages["deps"] if "heavy.txt" in s["instruction"]]
    light = [s for s in stages["deps"] if "uv sync" in s["instruction"]]
    assert heavy and all(s["status"] == "cached" for s in heavy), heavy
    assert light and all(s["status"] == "done" for s in light), light
    # The runtime's uv cache held every package: a lock-only change downloads none.
    assert report["packages_prepared"] == 0, light
