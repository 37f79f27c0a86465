"""`docker compose up -d --build` (the README's first command) gives a working service."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
from hostile import docx_zip_bomb, pdf_flate_bomb


def test_compose_up_builds_and_serves(
    built: dict[str, Any], host_port: int, tmp_path: Path
) -> None:
    project = f"rag-api-test-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "RAG_PUBLISHED_PORT": str(host_port), "RAG_IMAGE": project}
    compose = ["docker", "compose", "-p", project]
    context = built["context"]
    try:
        subprocess.run(
            [*compose, "up", "-d", "--build", "--wait", "--wait-timeout", "180"],
            cwd=context,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
            assert http.get("/ready").status_code == 200
            created = http.post("/v1/documents", json={"text": f"Compose run {project}."})
            assert created.status_code == 201
            # The parser workers run inside the image too, under their limits.
            for name, data in (("bomb.docx", docx_zip_bomb()), ("bomb.pdf", pdf_flate_bomb())):
                refused = http.post("/v1/documents", files={"files": (name, data)})
                assert refused.status_code == 422, refused.text
                assert refused.json()["error"]["type"] == "limit_exceeded"
            assert http.get("/v1/documents").json()["total"] == 1
        containers = subprocess.run(
            ["docker", "compose", "-p", project, "ps", "-q"],
            cwd=context,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        memory = subprocess.run(
            ["docker", "inspect", "--format", "{{.HostConfig.Memory}}", *containers],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert memory == [str(4 * 1024**3)]
        assert (context / "rag_local_storage" / "rag.sqlite3").is_file()
        images = subprocess.run(
            ["docker", "image", "ls", project, "--format", "{{.Tag}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert images == ["latest"]
    finally:
        subprocess.run([*compose, "down"], cwd=context, env=env, capture_output=True)
        subprocess.run(["docker", "image", "rm", f"{project}:latest"], capture_output=True)
        subprocess.run(["rm", "-rf", str(context / "rag_local_storage")])
