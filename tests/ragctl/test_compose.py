"""`docker compose up -d --build` (the README's first command) gives a working service."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
from format_cases import FORMATS, assert_found_at_place
from helpers import poll
from hostile import docx_zip_bomb, package_bomb, pdf_flate_bomb
from mcp_client import McpTarget

from ragctl.docker import Docker


def test_compose_up_builds_and_serves(
    built: dict[str, Any], host_port: int, tmp_path: Path
) -> None:
    project = f"rag-api-test-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "RAG_PUBLISHED_PORT": str(host_port), "RAG_IMAGE": project}
    docker = Docker(env=env)
    source = built["source"]
    try:
        docker.run(
            *("compose", "-p", project, "up", "-d", "--build", "--wait", "--wait-timeout", "180"),
            cwd=source,
        )
        with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
            assert http.get("/ready").status_code == 200
            created = http.post("/v1/documents", json={"text": f"Compose run {project}."})
            assert created.status_code == 201
            # The parser workers run inside the image too, under their limits.
            bombs = (
                ("bomb.docx", docx_zip_bomb()),
                ("bomb.pdf", pdf_flate_bomb()),
                ("bomb.xlsx", package_bomb("xl/workbook.xml", "xl/worksheets/sheet1.xml")),
            )
            for name, data in bombs:
                refused = http.post("/v1/documents", files={"files": (name, data)})
                assert refused.status_code == 422, refused.text
                assert refused.json()["error"]["type"] == "limit_exceeded"
            assert http.get("/v1/documents").json()["total"] == 1
            # Every format is read in the image, each passage at its place.
            assert http.post("/v1/collections", json={"name": "formats"}).status_code == 201
            for name in FORMATS:
                assert_found_at_place(http, name, "formats")
            # The first key, made beside the running service, closes it (within a second).
            made = docker.run(
                *("compose", "-p", project, "run", "--rm", "-T", "rag-api"),
                *("python", "-m", "src.keys", "create", "--role", "admin", "--name", "ops"),
                cwd=source,
            )
            key = json.loads(made.stdout)["key"]
            poll(lambda: http.get("/v1/documents").status_code == 401 or None, 5, "closed")
            with_key = http.get("/v1/documents", headers={"Authorization": f"Bearer {key}"})
            assert with_key.json()["total"] == 1 + len(FORMATS)
            # A folder synced from a container beside the service, through its API.
            handbook = tmp_path / "handbook"
            handbook.mkdir()
            (handbook / "leave.txt").write_text(f"Leave policy {project}: 25 days.")
            (handbook / "trains.md").write_text(f"# Trains\n\nBook trains early, {project}.")
            synced = docker.run(
                *("compose", "-p", project, "run", "--rm", "-T"),
                *("-v", f"{handbook}:/handbook:ro", "-e", "RAG_API_URL=http://rag-api:8000"),
                *("-e", f"RAG_API_KEY={key}", "rag-api", "python", "-m", "src.sync", "/handbook"),
                cwd=source,
            )
            assert synced.stdout.splitlines()[0] == (
                "added 2, replaced 0, unchanged 0, removed 0, refused 0"
            )
            listed = http.get(
                "/v1/documents",
                params={"source_prefix": "handbook/"},
                headers={"Authorization": f"Bearer {key}"},
            ).json()
            assert sorted(d["source"] for d in listed["items"]) == [
                "handbook/leave.txt",
                "handbook/trains.md",
            ]
            # The MCP stdio bridge runs from the image, as a desktop client launches it.
            bridge = docker.argv(
                *("run", "-i", "--rm", "--network", "host", "-e", "RAG_API_KEY"),
                *(f"{project}:latest", "python", "-m", "src.mcp_stdio"),
                *("--url", f"http://127.0.0.1:{host_port}"),
            )
            mcp = McpTarget(f"http://127.0.0.1:{host_port}", key, bridge=tuple(bridge))
            found = mcp.ok("search", query=f"Leave policy {project}", top_k=1)
            assert found["results"][0]["text"] == f"Leave policy {project}: 25 days."
            # The web page ships in the image, byte for byte.
            for path, name in (("/", "index.html"), ("/ui/app.js", "app.js")):
                assert http.get(path).content == (source / "api" / "ui" / name).read_bytes()
        containers = docker.run("compose", "-p", project, "ps", "-q", cwd=source).stdout.split()
        service = '{{index .Config.Labels "com.docker.compose.service"}}'
        memory = docker.run(
            "inspect", "--format", f"{service}={{{{.HostConfig.Memory}}}}", *containers
        )
        # The service, and the proxy that holds its port (the same image, its own tag).
        assert sorted(memory.stdout.split()) == [f"proxy={256 * 1024**2}", f"rag-api={4 * 1024**3}"]
        assert (source / "rag_local_storage" / "rag.sqlite3").is_file()
        images = docker.run("image", "ls", project, "--format", "{{.Tag}}").stdout.split()
        assert sorted(images) == ["latest", "proxy"]
    finally:
        docker.run("compose", "-p", project, "down", cwd=source, check=False)
        docker.run("image", "rm", f"{project}:latest", f"{project}:proxy", check=False)
        shutil.rmtree(source / "rag_local_storage", ignore_errors=True)


def test_compose_postgres_profile_takes_over_the_embedded_store(
    built: dict[str, Any], host_port: int
) -> None:
    """The README's move: a service on its embedded store, then `--profile postgres up -d`
    and `python -m src.transfer` in the image: the same documents, served from Postgres."""
    project = f"rag-api-test-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "RAG_PUBLISHED_PORT": str(host_port), "RAG_IMAGE": project}
    url = "postgresql://rag:rag@postgres:5432/rag"
    docker, on_postgres = Docker(env=env), Docker(env={**env, "RAG_DATABASE_URL": url})
    source = built["source"]
    compose = ("compose", "-p", project, "--profile", "postgres")
    wait = ("--wait", "--wait-timeout", "240")
    try:
        docker.run("compose", "-p", project, "up", "-d", "--build", *wait, cwd=source)
        with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
            first = http.post("/v1/documents", json={"text": f"Stored in SQLite {project}."})
            assert first.status_code == 201, first.text
        on_postgres.run(*compose, "up", "-d", *wait, cwd=source)
        on_postgres.run(
            *compose, "run", "--rm", "rag-api",
            "python", "-m", "src.transfer", "rag_local_storage", url,
            cwd=source,
        )  # fmt: skip
        with httpx.Client(base_url=f"http://127.0.0.1:{host_port}", timeout=60) as http:
            listed = http.get("/v1/documents").json()["items"]
            assert [d["id"] for d in listed] == [first.json()["documents"][0]["id"]]
            second = http.post("/v1/documents", json={"text": f"Stored in Postgres {project}."})
            assert second.status_code == 201, second.text
        rows = on_postgres.run(
            *compose, "exec", "-T", "postgres",
            "psql", "-U", "rag", "-d", "rag", "-tAc", "SELECT count(*) FROM documents",
            cwd=source,
        ).stdout  # fmt: skip
        assert rows.strip() == "2"
        volumes = docker.run("volume", "ls", "-q", "--filter", f"name={project}").stdout
        assert f"{project}_rag_postgres_data" in volumes.split()
    finally:
        on_postgres.run(*compose, "down", "-v", cwd=source, check=False)
        docker.run("image", "rm", f"{project}:latest", f"{project}:proxy", check=False)
        shutil.rmtree(source / "rag_local_storage", ignore_errors=True)
