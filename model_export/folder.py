"""A model folder's building blocks, shared by the export, the quantization and the e5 copy:
nothing here imports numpy or torch (the image's e5 stage has neither)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def staged(out_dir: Path, prefix: str) -> Iterator[Path]:
    """A folder beside `out_dir` to build a model in; swapped in whole for `out_dir` when the
    block ends well, so a failed build never leaves half a model; removed otherwise."""
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the image's non-root user must read it
    try:
        yield staging
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_manifest(
    folder: Path,
    manifest: dict[str, Any],
    files: tuple[str, ...] = ("model.onnx", "tokenizer.json"),
) -> None:
    """The manifest, with the checksums of the folder's `files` (its model and tokenizer)."""
    manifest["files"] = {name: _sha256(folder / name) for name in files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
