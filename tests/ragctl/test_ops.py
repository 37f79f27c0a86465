"""`ragctl df`, `doctor` and `prune` against the real engine."""

from __future__ import annotations

from typing import Any


def test_df_reports_docker_usage_and_budget(ragctl: Any, built: dict[str, Any]) -> None:
    report = ragctl.json("df", "--image", built["image"])
    assert report["free_bytes"] > 0
    assert {"Images", "Containers", "Build Cache"} <= set(report["system_df"])
    assert "v1" in report["image_versions"]
    assert report["uv_cache_mount_bytes"] > 0
    assert report["budget_bytes"] >= 2 * report["newest_image_bytes"]


def test_doctor_checks_pass_on_working_engine(ragctl: Any, built: dict[str, Any]) -> None:
    report = ragctl.json("doctor")
    verdicts = {c["name"]: c["verdict"] for c in report["checks"]}
    assert verdicts["engine"] == verdicts["buildkit"] == "ok"
    assert verdicts["build cache"] == "ok" and verdicts["base image"] == "ok"
    assert report["ok"] is (verdicts["disk"] != "fail")


def test_prune_keeps_newest_versions_latest_and_running(
    ragctl: Any, derived_image: Any, container_name: str
) -> None:
    import subprocess
    import time
    import uuid

    run_id = uuid.uuid4().hex[:6]
    repo = f"rag-api-retention-{run_id}"
    refs = []
    for n in range(1, 5):
        # A real layer, unique per run: metadata-only or cached builds keep an older
        # creation time, and creation time is what orders versions.
        source = derived_image(f"RUN echo {n}-{run_id} > /version")
        subprocess.run(["docker", "tag", source, f"{repo}:r{n}"], check=True)
        refs.append(f"{repo}:r{n}")
        time.sleep(1.1)  # distinct creation times order the versions
    subprocess.run(["docker", "tag", refs[0], f"{repo}:latest"], check=True)
    subprocess.run(
        ["docker", "create", "--name", container_name, refs[1]], check=True, capture_output=True
    )
    try:
        report = ragctl.json("prune", "--image", repo, "--keep", "1")
        assert report["removed_images"] == [refs[2]]
        left = subprocess.run(
            ["docker", "image", "ls", repo, "--format", "{{.Tag}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert sorted(left) == ["latest", "r1", "r2", "r4"]
    finally:
        subprocess.run(["docker", "rm", "-f", container_name], capture_output=True)
        for tag in ("latest", "r1", "r2", "r3", "r4"):
            subprocess.run(["docker", "image", "rm", f"{repo}:{tag}"], capture_output=True)
