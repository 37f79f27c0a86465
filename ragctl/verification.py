"""Is an image complete, clean and runnable on its own? (`ragctl verify IMAGE`)

The reference's "does the image contain the code" check, and more: the code and the model
are there; no .env, credentials or package caches in any layer (a file deleted by a later
layer still ships in the earlier one); the service runs as non-root; and it starts with only
an env file and an empty volume and answers /ready.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ragctl import config
from ragctl.docker import Docker, Run
from ragctl.errors import RagctlError

REQUIRED = [
    "/app/main.py",
    "/app/src/__init__.py",
    "/app/api/__init__.py",
    "/app/models/all-MiniLM-L6-v2/model.onnx",
    "/app/models/all-MiniLM-L6-v2/tokenizer.json",
    "/app/models/all-MiniLM-L6-v2/manifest.json",
    "/app/models/all-MiniLM-L6-v2-int8/model.onnx",
    "/app/models/all-MiniLM-L6-v2-int8/manifest.json",
    "/app/models/multilingual-e5-small/engine/engine.so",
    "/app/models/multilingual-e5-small/e5-small-q4.bin",
    "/app/models/multilingual-e5-small/manifest.json",
]
# fnmatch patterns on paths inside layers (no leading slash), with the reason each is banned.
FORBIDDEN = [
    ("*.env", "an .env file (secrets belong in --env-file at run time)"),
    ("*/.env.*", "an .env file (secrets belong in --env-file at run time)"),
    ("*.aws/credentials", "AWS credentials"),
    ("*.aws/config", "AWS config"),
    ("*.docker/config.json", "registry credentials"),
    ("*.netrc", "credentials"),
    ("*.git-credentials", "credentials"),
    ("*.pypirc", "credentials"),
    ("*id_rsa", "an SSH key"),
    ("*id_ed25519", "an SSH key"),
    ("*run/secrets/*", "a build secret"),
    ("root/.cache/*", "a package cache"),
    ("*/.cache/pip/*", "a package cache"),
    ("*/.cache/uv/*", "a package cache"),
    ("*/.cache/huggingface/*", "a model hub cache"),
    ("var/cache/apt/archives/*.deb", "a package cache"),
    ("app/tests/*", "tests"),
    ("app/ragctl/*", "ops tooling"),
    ("app/bench/*", "benchmarks"),
    ("app/.git/*", "the git repository"),
    ("*site-packages/torch/*", "PyTorch (the runtime must not need it)"),
    ("usr/local/bin/uv", "the uv binary"),
    ("app/.venv/bin/uv", "the uv binary"),
]


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def _banned(path: str) -> str | None:
    path = path.lstrip("./")
    if path.endswith(".env.example"):
        return None
    for pattern, reason in FORBIDDEN:
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch("/" + path, pattern):
            return reason
    return None


def _layer_names(saved: tarfile.TarFile) -> list[tuple[int, list[str]]]:
    manifest = json.load(_member(saved, "manifest.json"))
    layers = []
    for index, layer in enumerate(manifest[0]["Layers"], start=1):
        with tarfile.open(fileobj=_member(saved, layer), mode="r|*") as inner:
            # Directories alone hold nothing: BuildKit leaves an empty one behind for each
            # mount target (e.g. the uv cache mount); whatever one holds is listed itself.
            layers.append((index, [m.name for m in inner if not m.isdir()]))
    return layers


def _member(saved: tarfile.TarFile, name: str) -> IO[bytes]:
    handle = saved.extractfile(name)
    if handle is None:
        raise RagctlError(f"`docker save` output has no {name}")
    return handle


def check_layers(docker: Docker, image: str) -> list[Finding]:
    with tempfile.TemporaryDirectory(prefix="ragctl-verify-") as tmp:
        archive = Path(tmp) / "image.tar"
        docker.save(image, archive)
        with tarfile.open(archive) as saved:
            layers = _layer_names(saved)
    problems = [
        f"layer {i}: /{name.lstrip('./')} is {reason}"
        for i, names in layers
        for name in names
        if (reason := _banned(name))
    ]
    if problems:
        shown = problems[:20] + (
            [f"... and {len(problems) - 20} more"] if len(problems) > 20 else []
        )
        return [Finding("layers", False, "; ".join(shown))]
    return [
        Finding(
            "layers",
            True,
            f"{len(layers)} layers, none holds secrets, caches, tests, ops tooling or torch",
        )
    ]


def check_files(docker: Docker, image: str) -> Finding:
    script = (
        "import os, sys; missing = [p for p in sys.argv[1:] if not os.path.exists(p)]; "
        "print(' '.join(missing))"
    )
    run = Run(image, entrypoint="python", command=("-c", script, *REQUIRED))
    out = docker.run_output(run).strip()
    if out:
        return Finding("files", False, f"missing: {out}")
    return Finding("files", True, "main.py, src/, api/ and the ONNX model are in /app")


def check_runs(docker: Docker, image: str, timeout: float) -> list[Finding]:
    """Start it like a deploy would: only an env file and an empty (root-owned) volume."""
    name = f"ragctl-verify-{uuid.uuid4().hex[:12]}"
    data = Path(tempfile.mkdtemp(prefix="ragctl-verify-data-"))
    env_file = data.parent / f"{data.name}.env"
    env_file.write_text("RAG_LOG_LEVEL=info\n")
    volume = f"{data}:{config.CONTAINER_DATA}"
    try:
        docker.start_container(Run(image, name=name, env_file=env_file, volumes=(volume,)))
        if not docker.wait_container_ready(name, timeout):
            logs = docker.logs_tail(name)
            return [Finding("starts", False, f"never answered /ready in {timeout:g}s:\n{logs}")]
        # Plain `docker top` (ps -ef): the first column is the user, as the host names it.
        processes = docker.processes(name)
        root = [line for line in processes if line.split()[0] in ("0", "root")]
        user = Finding(
            "non-root",
            not root,
            "every process runs as a non-root user" if not root else f"root processes: {root}",
        )
        return [Finding("starts", True, "answers /ready with only an env file and a volume"), user]
    finally:
        docker.remove_container(name)
        shutil.rmtree(data, ignore_errors=True)
        env_file.unlink(missing_ok=True)


def verify(docker: Docker, image: str, ready_timeout: float) -> list[Finding]:
    docker.image_inspect(image)  # a clear error when the image is missing
    return [
        check_files(docker, image),
        *check_layers(docker, image),
        *check_runs(docker, image, ready_timeout),
    ]
