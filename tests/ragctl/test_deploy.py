"""`ragctl deploy`, `rollback` and `versions` against the ECR rig and a second, empty engine
standing in for another server."""

from __future__ import annotations

import io
import subprocess
import tarfile
import uuid
from typing import Any

import httpx
from helpers import ingest_text, wait_until

from ragctl.docker import Docker
from rig.poller import Poller

LOCAL = Docker()


def _images(server: Any) -> list[str]:
    out = server.docker.run("image", "ls", "--no-trunc", "--format", "{{.ID}}").stdout
    return sorted(set(out.split()))


def _empty(server: Any) -> None:
    """Remove every container and image from the server engine (its volumes stay)."""
    containers = server.docker.run("ps", "-aq").stdout.split()
    if containers:
        server.docker.run("rm", "-f", *containers)
    if _images(server):
        server.docker.run("image", "rm", "-f", *_images(server), check=False)


def _live(ecr: Any, server: Any) -> dict[str, Any]:
    report = ecr.json("versions", "--target", server.host)
    target: dict[str, Any] = report["targets"][0]
    return target


def _url(server: Any, path: str = "") -> str:
    return f"http://{server.address}:8000{path}"


def test_deploy_to_an_empty_server_pulls_from_the_registry_and_keeps_data(
    ecr: Any, server: Any, pushed: dict[str, Any], release_v2: dict[str, Any]
) -> None:
    _empty(server)
    assert _images(server) == []  # everything must come from the registry
    first = ecr.json("deploy", "v1", "--target", server.host)["targets"][0]
    assert first["pulled"] is True
    assert first["ref"] == pushed["ref"]
    with httpx.Client(base_url=_url(server), timeout=60) as http:
        document = ingest_text(http, "Deploys keep the data volume.", title="kept")
    second = ecr.json("deploy", "v2", "--target", server.host)["targets"][0]
    assert second["version"] == "v2"
    with httpx.Client(base_url=_url(server), timeout=60) as http:
        assert http.get(f"/v1/documents/{document['id']}").status_code == 200
    back = ecr.json("rollback", "--target", server.host)["targets"][0]
    assert (back["version"], back["pulled"]) == ("v1", False)
    with httpx.Client(base_url=_url(server), timeout=60) as http:
        assert http.get(f"/v1/documents/{document['id']}").status_code == 200
    live = _live(ecr, server)
    assert live["live"] == pushed["ref"]
    assert [e["version"] for e in live["history"]] == ["v1", "v2"]


def _push_derived(ecr: Any, ship_image: str, derived_image: Any, version: str, *lines: str) -> None:
    image = derived_image(*lines)
    LOCAL.tag(image, f"{ship_image}:{version}")
    ecr.json("push", "--no-build", "--image", ship_image, "--version", version)


def test_deploy_of_a_broken_version_keeps_the_previous_one_answering(
    ecr: Any, server: Any, pushed: dict[str, Any], ship_image: str, derived_image: Any
) -> None:
    ecr.json("deploy", "v1", "--target", server.host)
    before = _live(ecr, server)
    _push_derived(ecr, ship_image, derived_image, "broken", "ENV RAG_MODEL_DIR=/nowhere")
    with Poller(_url(server, "/health")) as poller:
        refused = ecr(
            "deploy", "broken", "--target", server.host, "--ready-timeout", "15", check=False
        )
    assert refused.returncode != 0
    assert "never got ready" in refused.stderr
    assert "no exported embedding model" in refused.stderr  # the new container's last logs
    assert poller.failures == []
    assert poller.answers > 10
    after = _live(ecr, server)
    assert after["live"] == before["live"] == pushed["ref"]
    assert [e["ref"] for e in after["history"]] == [e["ref"] for e in before["history"]]


def test_deploy_to_several_targets_stops_at_the_first_failure(
    ecr: Any, server: Any, pushed: dict[str, Any], release_v2: dict[str, Any]
) -> None:
    missing = "unix:///run/no-such-engine.sock"
    ecr.json("deploy", "v1", "--target", server.host)
    first_fails = ecr("deploy", "v2", "--target", missing, "--target", server.host, check=False)
    assert first_fails.returncode != 0
    assert missing in first_fails.stderr
    assert _live(ecr, server)["live"] == pushed["ref"]  # the later target was not touched
    last_fails = ecr("deploy", "v2", "--target", server.host, "--target", missing, check=False)
    assert last_fails.returncode != 0
    assert f"deployed before it: {server.host}" in last_fails.stderr
    assert _live(ecr, server)["live"] == release_v2["ref"]


def _present(server: Any, ref: str) -> bool:
    return bool(server.docker.image_exists(ref))


def test_pruning_never_removes_a_version_in_the_history(
    ecr: Any,
    server: Any,
    pushed: dict[str, Any],
    release_v2: dict[str, Any],
    ship_image: str,
    derived_image: Any,
) -> None:
    _push_derived(ecr, ship_image, derived_image, "v3", "RUN echo v3 > /v3")
    for version in ("v1", "v2", "v3"):
        ecr.json("deploy", version, "--target", server.host, "--keep-history", "2")
    history = _live(ecr, server)["history"]
    assert [e["version"] for e in history] == ["v3", "v2"]
    # Beyond the history: removed, unless the proxy still runs from it (it keeps the image
    # it was started from; the first deploy here started it).
    proxy = server.docker.container_inspect("rag-api-proxy")
    v1 = server.docker.image_inspect(pushed["ref"])["Id"] if _present(server, pushed["ref"]) else ""
    assert v1 in ("", proxy["Image"])
    assert _present(server, release_v2["ref"])
    ecr("prune", "--deep", "--target", server.host)
    assert _present(server, release_v2["ref"])
    back = ecr.json("rollback", "--target", server.host, "--keep-history", "2")["targets"][0]
    assert (back["version"], back["pulled"]) == ("v2", False)


def test_rollback_to_a_version_outside_the_history_is_refused(
    ecr: Any, server: Any, pushed: dict[str, Any]
) -> None:
    ecr.json("deploy", "v1", "--target", server.host)
    refused = ecr("rollback", "no-such-version", "--target", server.host, check=False)
    assert refused.returncode == 1
    assert "not in the deploy history" in refused.stderr
    assert _live(ecr, server)["live"] == pushed["ref"]


def test_reference_commands_with_the_aws_cli(
    ecr: Any, server: Any, pushed: dict[str, Any], built: dict[str, Any], tmp_path: Any
) -> None:
    """The reference's literal flow: aws ecr get-login-password | docker login, tag, push;
    then on the server, docker pull and docker run with an env file and the data volume."""
    remote = f"{pushed['repository']}:reference"
    host = remote.split("/")[0]
    (tmp_path / ".env").write_text("RAG_LOG_LEVEL=info\n")
    server_docker = " ".join(server.docker.argv())
    script = f"""set -euo pipefail
aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin {host}
docker tag {built["ref"]} {remote}
docker push {remote}
{server_docker} pull {remote}
{server_docker} run -d --name rag-api-reference -p 8001:8000 --env-file .env \\
  -v ./rag_local_storage:/app/rag_local_storage {remote}
"""
    try:
        subprocess.run(
            ["bash", "-c", script],
            env=ecr.env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        )

        def ready() -> bool:
            try:
                return (
                    httpx.get(f"http://{server.address}:8001/ready", timeout=2).status_code == 200
                )
            except httpx.HTTPError:
                return False

        wait_until(ready, 120, "the reference container's /ready")
        assert any((tmp_path / "rag_local_storage").iterdir())  # the store is on the host
    finally:
        server.docker.remove_container("rag-api-reference")
        LOCAL.run("image", "rm", remote, check=False)


def _dangling(docker: Docker) -> str:
    """A new untagged image on the engine `docker` talks to: what `image prune` removes."""
    data = uuid.uuid4().hex.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("marker")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    done = subprocess.run(
        docker.argv("import", "-"), input=buffer.getvalue(), capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def test_prune_target_cleans_only_that_engine(ragctl: Any, server: Any) -> None:
    local = _dangling(LOCAL)
    remote = _dangling(server.docker)
    try:
        ragctl.json("prune", "--target", server.host)
        assert not server.docker.image_exists(remote)
        assert LOCAL.image_exists(local)  # the operator's own engine is untouched
    finally:
        LOCAL.run("image", "rm", local, check=False)
