"""`ragctl push` against the ECR rig: repository settings, login, immutability, bytes sent."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ragctl.docker import Docker
from rig.ecr import PASSWORD, REGISTRY_HOST

LOCAL = Docker()


def _tag(image: str, ref: str) -> None:
    LOCAL.tag(image, ref)


def test_push_creates_repository_with_immutable_tags_scan_and_lifecycle(
    pushed: dict[str, Any], ecr: Any, ecr_client: Any
) -> None:
    name = ecr.env["RAGCTL_ECR_REPOSITORY"]
    repository = ecr_client.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    policy = json.loads(ecr_client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
    selections = {rule["selection"]["tagStatus"]: rule["selection"] for rule in policy["rules"]}
    assert (selections["untagged"]["countNumber"], selections["untagged"]["countUnit"]) == (
        1,
        "days",
    )
    assert selections["tagged"]["countNumber"] == 15
    assert pushed["repository_created"] is True
    assert pushed["repository"] == f"{REGISTRY_HOST}/{name}"


def test_push_records_the_digest_the_registry_serves(pushed: dict[str, Any], ecr: Any) -> None:
    state = json.loads((_state_dir(ecr) / "pushes.json").read_text())
    assert state[pushed["repository"]][-1]["digest"] == pushed["digest"]
    operator = Docker(env={**os.environ, "DOCKER_CONFIG": ecr.env["DOCKER_CONFIG"]})
    pulled = operator.run("manifest", "inspect", "-v", pushed["ref"])
    assert json.loads(pulled.stdout)["Descriptor"]["digest"] == pushed["digest"]


def _state_dir(ecr: Any) -> Path:
    return Path(ecr.env["RAGCTL_STATE_DIR"])


def test_push_gives_the_password_on_stdin_only(
    pushed: dict[str, Any], ecr: Any, ship_image: str, derived_image: Any
) -> None:
    image = derived_image("LABEL test=stdin-login")
    _tag(image, f"{ship_image}:v-login")
    done = ecr("-v", "push", "--no-build", "--image", ship_image, "--version", "v-login")
    assert "docker login --username AWS --password-stdin" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_push_same_version_again_uploads_nothing(
    pushed: dict[str, Any], ecr: Any, built: dict[str, Any]
) -> None:
    again = ecr.json("push", "--no-build", "--image", built["image"], "--version", "v1")
    assert again["digest"] == pushed["digest"]
    assert again["bytes_pushed"] == 0
    assert again["repository_created"] is False


def test_push_refuses_another_image_under_an_existing_version(
    pushed: dict[str, Any], ecr: Any, built: dict[str, Any], derived_image: Any
) -> None:
    image = derived_image("LABEL test=immutable")
    name = f"{built['image']}-other"
    _tag(image, f"{name}:v1")
    try:
        refused = ecr("push", "--no-build", "--image", name, "--version", "v1", check=False)
    finally:
        LOCAL.run("image", "rm", f"{name}:v1", check=False)
    assert refused.returncode == 1
    assert "already exists with a different image" in refused.stderr
    assert "hint:" in refused.stderr


def test_push_code_only_change_uploads_only_the_code_layer(
    pushed: dict[str, Any], release_v2: dict[str, Any]
) -> None:
    assert release_v2["layers_pushed"] == 1
    assert 0 < release_v2["bytes_pushed"] < 1_000_000
    rebuilt = [s for s in release_v2["build"]["steps"] if s["status"] == "done"]
    assert [s["instruction"] for s in rebuilt] == ["COPY --chown=root:root src/ ./src/"]


def test_push_logs_in_again_when_the_stored_login_was_lost(
    pushed: dict[str, Any], ecr: Any, ship_image: str, derived_image: Any, tmp_path: Path
) -> None:
    # The last login is recorded as fresh, but Docker's credentials are gone (a new
    # DOCKER_CONFIG): the push is refused once, ragctl logs in again and succeeds.
    image = derived_image("RUN echo relogin > /relogin")
    _tag(image, f"{ship_image}:v-relogin")
    logins = _state_dir(ecr) / "logins.json"
    logins.write_text(json.dumps({REGISTRY_HOST: 4102444800.0}))  # 2100-01-01
    env = {**ecr.env, "DOCKER_CONFIG": str(tmp_path / "empty-docker-config")}
    done = type(ecr)(env)(
        "--json", "push", "--no-build", "--image", ship_image, "--version", "v-relogin"
    )
    assert json.loads(done.stdout)["layers_pushed"] >= 1
    assert done.stderr.count("logging in to") == 1


def test_fresh_builder_reuses_the_pushed_layers_through_inline_cache(
    ecr: Any, server: Any, release_v2: dict[str, Any], ship_image: str
) -> None:
    # The second engine has never built anything: only the base image (which a real build
    # server pulls from Docker Hub) is loaded into it.
    server.load("python:3.11-slim-bookworm")
    done = ecr(
        "--json",
        "build",
        "--target",
        server.host,
        "--source",
        str(release_v2["source"]),
        "--image",
        ship_image,
        "--version",
        "v2-rebuilt",
        "--cache-from-ecr",
        "v2",
    )
    steps = json.loads(done.stdout)["steps"]
    ran = [s["instruction"][:60] for s in steps if s["status"] == "done"]
    assert ran == [], f"rebuilt on a fresh builder despite the registry cache: {ran}"
    assert any(s["stage"] == "model" and s["status"] == "cached" for s in steps)
