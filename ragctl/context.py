"""The files an image is built from (everything else stays out, see .dockerignore)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ragctl.config import ROOT

BUILD_CONTEXT = (
    "Dockerfile",
    ".dockerignore",
    "compose.yaml",
    "pyproject.toml",
    "uv.lock",
    "requirements",
    "model_export",
    "docker",
    "main.py",
    "api",
    "src",
)


def copy_build_context(destination: Path, root: Path = ROOT) -> Path:
    """A copy of the build inputs, to build a variant (a code or dependency change)
    without touching the checkout."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in BUILD_CONTEXT:
        source = root / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, destination / name)
    return destination
