"""The scripts a user runs start from a clean environment: an empty HOME and only the
system's PATH, with no uv anywhere (they install it themselves, as scripts/_uv.sh does)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("ragctl", "usage: ragctl"),
        ("update.sh", "usage: ragctl update"),
        ("screenshots.sh", "usage: scripts/screenshots.sh"),
    ],
)
def test_script_runs_with_empty_home_and_system_path(
    script: str, expected: str, tmp_path: Path
) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(ROOT / "scripts" / script), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    assert (tmp_path / ".local" / "bin" / "uv").exists()  # installed for this user


@pytest.mark.parametrize(("argument", "code"), [("--help", 0), ("--port=9000", 2)])
def test_serve_with_arguments_prints_usage_and_starts_nothing(argument: str, code: int) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "serve.sh"), argument], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "usage: scripts/serve.sh" in done.stdout and ".env.example" in done.stdout
