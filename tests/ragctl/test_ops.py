"""`ragctl df`, `doctor` and `prune` against the real engine."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from ragctl import disk
from ragctl.docker import Docker

LOCAL = Docker()


def _parts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in report["parts"]}


def test_df_explains_every_byte_against_the_budget(ragctl: Any, built: dict[str, Any]) -> None:
    report = ragctl.json("df", "--image", built["image"], "--cache-allowance", "2GB")
    parts = _parts(report)
    assert report["docker_bytes"] == sum(p["bytes"] for p in report["parts"])
    kept = next(p for p in report["parts"] if p["name"].endswith("version(s) kept"))
    # `docker system df` prints sizes rounded to 4 digits ("623.2MB")
    assert kept["bytes"] >= 0.999 * built["size_bytes"] and kept["kind"] == disk.NEEDED
    runtime = parts["runtime uv cache"]["bytes"]
    containers = parts["containers (their own layers)"]["bytes"]
    assert runtime > 0
    assert report["budget_bytes"] == kept["bytes"] + containers + runtime + 2e9
    reclaimable = [p for p in report["parts"] if p["kind"] == disk.RECLAIMABLE]
    assert reclaimable and all(p["reclaim"] == "ragctl prune" for p in reclaimable)
    assert report["reclaimable_bytes"] == sum(p["bytes"] for p in reclaimable)
    assert report["within_budget"] is (report["used_bytes"] <= report["budget_bytes"])
    text = ragctl("df", "--image", built["image"]).stdout
    assert "runtime uv cache" in text and "ragctl prune" in text


def test_build_leaves_no_export_cache_and_no_pytorch_in_the_uv_cache(
    built: dict[str, Any],
) -> None:
    cache = disk.build_cache(LOCAL)
    assert [r.description for r in cache if r.earlier_mount] == []
    # The runtime's own packages only: PyTorch's CUDA wheels alone are several GB.
    assert 0 < disk.runtime_cache_bytes(cache) < 1.5e9


def _build(ragctl: Any, source: Path, image: str) -> dict[str, Any]:
    version = f"p{uuid.uuid4().hex[:6]}"
    report: dict[str, Any] = ragctl.json(
        "build", "--source", str(source), "--image", image, "--version", version
    )
    return report


def _change(path: Path) -> None:
    with path.open("a") as out:
        out.write(f"\n# changed {uuid.uuid4()}\n")


def test_routine_prune_keeps_what_the_next_builds_need(
    ragctl: Any, built: dict[str, Any], tmp_path: Path
) -> None:
    source, image = tmp_path / "source", built["image"]
    shutil.copytree(built["source"], source)
    _change(source / "src" / "retrieval.py")
    _build(ragctl, source, image)
    before = disk.build_cache(LOCAL)
    # No allowance at all: only what that build used and the runtime uv cache may stay.
    ragctl.json("prune", "--image", image, "--cache-allowance", "0")
    after = disk.build_cache(LOCAL)
    assert {r.id for r in after} < {r.id for r in before}  # earlier builds' layers went
    assert disk.runtime_cache_bytes(after) == disk.runtime_cache_bytes(before) > 0
    _change(source / "src" / "retrieval.py")
    code = _build(ragctl, source, image)
    rebuilt = [s["instruction"] for s in code["steps"] if s["status"] == "done"]
    assert rebuilt == ["COPY --chown=root:root src/ ./src/"]
    ragctl.json("prune", "--image", image, "--cache-allowance", "0")
    _change(source / "uv.lock")
    light = _build(ragctl, source, image)
    model = [s for s in light["steps"] if s["stage"] == "model"]
    assert model and all(s["status"] == "cached" for s in model)
    # uv installed every package again from its cache: none was downloaded.
    assert light["packages_prepared"] == 0, light["steps"]


def test_cache_allowance_must_be_a_size(ragctl: Any) -> None:
    done = ragctl("df", "--cache-allowance", "lots", check=False)
    assert done.returncode == 2 and "not a size like 1GB" in done.stderr


def test_doctor_checks_pass_on_working_engine(ragctl: Any, built: dict[str, Any]) -> None:
    report = ragctl.json("doctor")
    verdicts = {c["name"]: c["verdict"] for c in report["checks"]}
    assert verdicts["engine"] == verdicts["buildkit"] == "ok"
    assert verdicts["build cache"] == "ok" and verdicts["base image"] == "ok"
    assert report["ok"] is (verdicts["disk"] != "fail")


def test_prune_keeps_newest_versions_latest_and_running(
    ragctl: Any, derived_image: Any, container_name: str
) -> None:
    import time
    import uuid

    run_id = uuid.uuid4().hex[:6]
    repo = f"rag-api-retention-{run_id}"
    refs = []
    for n in range(1, 5):
        # A real layer, unique per run: metadata-only or cached builds keep an older
        # creation time, and creation time is what orders versions.
        source = derived_image(f"RUN echo {n}-{run_id} > /version")
        LOCAL.tag(source, f"{repo}:r{n}")
        refs.append(f"{repo}:r{n}")
        time.sleep(1.1)  # distinct creation times order the versions
    LOCAL.tag(refs[0], f"{repo}:latest")
    LOCAL.run("create", "--name", container_name, refs[1])
    try:
        report = ragctl.json("prune", "--image", repo, "--keep", "1")
        assert report["removed_images"] == [refs[2]]
        left = LOCAL.run("image", "ls", repo, "--format", "{{.Tag}}").stdout.split()
        assert sorted(left) == ["latest", "r1", "r2", "r4"]
    finally:
        LOCAL.remove_container(container_name)
        for tag in ("latest", "r1", "r2", "r3", "r4"):
            LOCAL.run("image", "rm", f"{repo}:{tag}", check=False)
