"""`ragctl df`, `doctor` and `prune` against the real engine."""

from __future__ import annotations

from typing import Any

from ragctl.docker import Docker

LOCAL = Docker()


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
