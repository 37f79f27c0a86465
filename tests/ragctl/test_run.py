"""The image runs exactly as the reference runs it, and `ragctl update` swaps it safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from helpers import wait_until

from ragctl.docker import Docker
from rig.poller import Poller

LOCAL = Docker()


def _ready(port: int, timeout: float = 120) -> None:
    def answers() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout, f"/ready on port {port}")


def _inspect(container: str, field: str) -> str:
    return LOCAL.run("inspect", "-f", f"{{{{{field}}}}}", container).stdout.strip()


def test_run_like_reference_with_missing_storage_dir(
    built: dict[str, Any], tmp_path: Path, container_name: str, host_port: int
) -> None:
    (tmp_path / ".env").write_text("RAG_LOG_LEVEL=info\n")
    assert not (tmp_path / "rag_local_storage").exists()  # Docker creates it, owned by root
    LOCAL.run(
        *("run", "-d", "--name", container_name, "-p", f"{host_port}:8000"),
        *("--env-file", ".env", "-v", "./rag_local_storage:/app/rag_local_storage"),
        built["ref"],
        cwd=tmp_path,
    )
    _ready(host_port)
    with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
        stored = http.post("/v1/documents", json={"text": "Containers keep data on volumes."})
        assert stored.status_code == 201, stored.text
        answer = http.post("/v1/query", json={"question": "Where do containers keep data?"})
        assert "volumes" in answer.json()["answer"]
    assert (tmp_path / "rag_local_storage" / "rag.sqlite3").is_file()
    top = LOCAL.run("top", container_name).stdout.splitlines()[1:]
    assert top and all(line.split()[0] not in ("0", "root") for line in top), top


def test_update_keeps_data_and_switches_image(
    ragctl: Any,
    built: dict[str, Any],
    derived_image: Any,
    tmp_path: Path,
    container_name: str,
    host_port: int,
) -> None:
    data = tmp_path / "data"
    target = [
        "--name",
        container_name,
        "--port",
        str(host_port),
        "--data",
        str(data),
        "--image",
        built["image"],
        "--ready-timeout",
        "120",
    ]
    ragctl.json("update", "--use-image", built["ref"], *target)
    with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
        document = http.post("/v1/documents", json={"text": "Written before the update."}).json()
    newer = derived_image('LABEL rag-api.test="newer"')
    report = ragctl.json("update", "--use-image", newer, *target)
    assert report["image"] == newer
    with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
        assert http.get(f"/v1/documents/{document['documents'][0]['id']}").status_code == 200
    assert _inspect(container_name, ".Config.Image") == newer
    assert _inspect(container_name, ".HostConfig.Memory") == str(4 * 1024**3)  # as compose


def test_update_refuses_image_that_never_gets_ready(
    ragctl: Any,
    built: dict[str, Any],
    derived_image: Any,
    tmp_path: Path,
    container_name: str,
    host_port: int,
) -> None:
    target = [
        "--name",
        container_name,
        "--port",
        str(host_port),
        "--data",
        str(tmp_path / "data"),
        "--image",
        built["image"],
    ]
    ragctl.json("update", "--use-image", built["ref"], *target)
    broken = derived_image("ENV RAG_MODEL_DIR=/nowhere")
    with Poller(f"http://127.0.0.1:{host_port}/ready") as poller:
        refused = ragctl(
            "update", "--use-image", broken, *target, "--ready-timeout", "15", check=False
        )
    assert refused.returncode != 0
    assert "never got ready" in refused.stderr
    assert "no exported embedding model" in refused.stderr  # the new container's last logs
    assert poller.failures == []
    assert _inspect(container_name, ".Config.Image") == built["ref"]
