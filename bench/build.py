"""What the build benchmarks share: ragctl run for its JSON report, and the two kinds of
change they rebuild after (code only; one small dependency added)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Small packages not in the lock, one per light-dependency-change run.
LIGHT_PACKAGES = ["six", "toolz", "wrapt", "appdirs", "text-unidecode"]


def ragctl_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ragctl with --json (in `env`, by default this process's) and return its result."""
    done = subprocess.run(
        [sys.executable, "-m", "ragctl", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"ragctl {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def touch_code(source: Path) -> None:
    with (source / "src" / "retrieval.py").open("a") as out:
        out.write(f"\n# change {uuid.uuid4()}\n")


def add_dependency(source: Path, package: str) -> None:
    text = (source / "pyproject.toml").read_text()
    text = text.replace('    "prometheus-client', f'    "{package}",\n    "prometheus-client', 1)
    (source / "pyproject.toml").write_text(text)
    subprocess.run(["uv", "lock", "-q"], cwd=source, check=True)
