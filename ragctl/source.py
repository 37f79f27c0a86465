"""The source an image is built from: these files of a checkout (everything else stays out,
see .dockerignore)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ragctl.config import ROOT

SOURCE_FILES = (
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


def copy_source(destination: Path, root: Path = ROOT) -> Path:
    """A copy of the source, to build a variant (a code or dependency change) without
    touching the checkout."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in SOURCE_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, destination / name)
    return destination
