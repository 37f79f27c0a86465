"""rig.screenshots: the README's pictures of the page can always be taken again."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

from conftest import CHROMIUM, ROOT
from helpers import require

from rig.screenshots import DESKTOP, PHONE, SHOTS


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_screenshots_script_takes_every_view(tmp_path: Path, model_dir: Path) -> None:
    require(CHROMIUM.is_file(), f"no browser at {CHROMIUM}")
    env = {**os.environ, "RAG_MODEL_DIR": str(model_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "rig.screenshots", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}.png" for s in SHOTS)
    assert _png_size(tmp_path / "ask.png") == (DESKTOP["width"], DESKTOP["height"])
    assert _png_size(tmp_path / "phone.png") == (PHONE["width"], PHONE["height"])
    width, height = _png_size(tmp_path / "documents.png")  # the whole page, not the window
    assert width == DESKTOP["width"] and height > DESKTOP["height"]
