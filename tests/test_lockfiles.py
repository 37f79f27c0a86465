"""The requirement files the image's model, e5 and heavy layers install from match uv.lock."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


@pytest.mark.parametrize("group", ["export", "heavy", "e5"])
def test_requirement_file_matches_lock(group: str) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed (scripts/test.sh installs it)"
    exported = subprocess.run(
        [uv, "export", "--frozen", "--only-group", group, "--no-emit-project", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (ROOT / "requirements" / f"{group}.txt").read_text()
    assert _body(committed) == _body(exported), "run scripts/lock.sh to regenerate"
