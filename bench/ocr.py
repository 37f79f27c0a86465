"""The OCR suite (`python -m bench ocr`): accuracy (1 - CER) and seconds per page, per engine
x page, and the image growth of each engine.

    python -m bench ocr [--ocr-variants] [--rapidocr-python /tmp/rapidocr/bin/python] \\
        [--ocr-image-sizes]

Pages (bench/ocr_pages.py): printed English, printed Simplified Chinese, and "phone photos" of
the English page and of a mixed Chinese/English page, A4 at 300 dpi with known ground truth.

Engines:
  * tesseract: Debian's CLI (`apt-get install tesseract-ocr tesseract-ocr-eng
    tesseract-ocr-chi-sim`), one process per page, so each page's time includes loading the model.
  * rapidocr: `rapidocr-onnxruntime` (PP-OCR models on onnxruntime), which is not in the project
    venv: give a Python that has it with --rapidocr-python. The engine is loaded once in a worker
    process (`python -m bench.ocr --worker`); its load time is reported on its own.

Accuracy: CER = Levenshtein(hypothesis, reference) / len(reference), after NFKC on both sides and,
for Latin pages, collapsing whitespace to single spaces; for CJK/mixed pages, removing it.
accuracy_ignoring_spaces removes whitespace on every page (tells lost spaces from wrong letters).
Seconds: wall clock per page, the median of --reps runs. Peak RSS: the OCR process's maximum.

--ocr-image-sizes builds the image-size probe (IMAGE_SIZE_DOCKERFILE) on top of the base image and
records each engine's size delta; it needs Docker and the CA bundle as a BuildKit secret.

The RapidOCR worker (this module, `--worker`) needs only the standard library and the bench
package's report module.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any, cast

from bench.report import Record, summarize

# Tesseract variants: (name, languages ("page": the page's own), psm, OMP_THREAD_LIMIT or None).
# Debian's build uses OpenMP; unlimited, its threads spin against each other on 2 cores.
TESSERACT_VARIANTS: list[tuple[str, str, int, str | None]] = [
    ("tesseract-psm3-pagelang-omp1", "page", 3, "1"),
    ("tesseract-psm3-eng+chi_sim-omp1", "eng+chi_sim", 3, "1"),
    ("tesseract-psm6-pagelang-omp1", "page", 6, "1"),
    ("tesseract-psm3-pagelang-omp2", "page", 3, "2"),
    ("tesseract-psm3-pagelang-ompdefault", "page", 3, None),
]
# RapidOCR variants: (name, keyword arguments for RapidOCR()). The default max_side_len (2000)
# scales an A4 page at 300 dpi to ~170 dpi; {"max_side_len": 4000} (full resolution) was ~3x
# slower on printed pages and no more accurate in a trial run.
RAPIDOCR_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("rapidocr-default", {}),  # onnxruntime picks its thread count (the cores: 2 here)
    ("rapidocr-threads1", {"intra_op_num_threads": 1}),
]


# ---- scoring --------------------------------------------------------------------------------


def normalise(text: str, script: str) -> str:
    """NFKC, then whitespace collapsed (latin) or removed (cjk)."""
    text = unicodedata.normalize("NFKC", text)
    if script == "cjk":
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy row per character of `a` (insertions by a running minimum)."""
    import numpy as np

    codes_b = np.array([ord(c) for c in b], dtype=np.int64)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    row = offsets.copy()
    for i, char in enumerate(a, start=1):
        new = np.empty_like(row)
        new[0] = i
        new[1:] = np.minimum(row[1:] + 1, row[:-1] + (codes_b != ord(char)))
        # Insertions: new[j] = min over k <= j of new[k] + (j - k).
        row = np.minimum.accumulate(new - offsets) + offsets
    return int(row[-1])


def accuracy(hypothesis: str, reference: str, script: str) -> float:
    """1 - CER (can go below 0 for output much longer than the reference)."""
    ref, hyp = normalise(reference, script), normalise(hypothesis, script)
    return 1.0 - levenshtein(hyp, ref) / len(ref)


# ---- running --------------------------------------------------------------------------------

GNU_TIME = "/usr/bin/time"  # Debian's `time` package: the child's own peak RSS


def run_measured(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, float | None, str]:
    """Run `cmd`; return (wall seconds, peak RSS in MiB or None, stdout).

    The RSS comes from GNU time when it is installed: a child forked from this (large) Python
    process would report this process's peak as its own.
    """
    rss = Path(GNU_TIME).exists()
    wrapped = [GNU_TIME, "-f", "%M", *cmd] if rss else cmd
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        subprocess.run(wrapped, stdout=out, stderr=err, env=env, check=True)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        peak = int(err.read().decode().split()[-1]) / 1024 if rss else None
        return seconds, peak, out.read().decode("utf-8", "replace")


def tesseract_version() -> str:
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


def tesseract_page(page: Any, langs: str, psm: int, omp: str | None, reps: int) -> dict[str, Any]:
    """Time one tesseract variant on one page, `reps` times."""
    languages = page.languages if langs == "page" else langs
    cmd = ["tesseract", str(page.path), "stdout", "-l", languages, "--psm", str(psm)]
    env = dict(os.environ)
    if omp is not None:
        env["OMP_THREAD_LIMIT"] = omp
    runs = [run_measured(cmd, env) for _ in range(reps)]
    return {
        "languages": languages,
        "psm": psm,
        "omp_thread_limit": omp,
        "seconds": [r[0] for r in runs],
        "peak_rss_mib": max((r[1] or 0) for r in runs) or None,
        "text": runs[0][2],
    }


def rapidocr_pages(
    python: str, kwargs: dict[str, Any], pages: list[Any], reps: int
) -> dict[str, Any]:
    """Run the rapidocr worker (this file as a script) in `python`; return its JSON report."""
    root = Path(__file__).resolve().parent.parent  # bench/__init__.py imports nothing
    cmd = [
        python,
        "-m",
        "bench.ocr",
        "--worker",
        json.dumps(kwargs),
        "--reps",
        str(reps),
        *[str(p.path) for p in pages],
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=root)
    return cast(dict[str, Any], json.loads(out.stdout))


def worker(kwargs: dict[str, Any], paths: list[str], reps: int) -> dict[str, Any]:
    """In the rapidocr Python: load the engine once, OCR each page `reps` times."""
    from importlib.metadata import PackageNotFoundError, version

    start = time.perf_counter()
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(**kwargs)
    load = time.perf_counter() - start
    pages = {}
    for path in paths:
        seconds, text = [], ""
        for _ in range(reps):
            begin = time.perf_counter()
            result, _ = engine(path)
            seconds.append(time.perf_counter() - begin)
            text = "\n".join(line[1] for line in result or [])
        pages[path] = {"seconds": seconds, "text": text}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    versions = {p: version(p) for p in ("rapidocr-onnxruntime", "onnxruntime", "numpy")}
    for cv in ("opencv-python", "opencv-python-headless"):
        with contextlib.suppress(PackageNotFoundError):
            versions[cv] = version(cv)
    return {"load_seconds": load, "peak_rss_mib": peak, "versions": versions, "pages": pages}


# ---- reporting ------------------------------------------------------------------------------


def summarise(
    page: Any, seconds: list[float], text: str, keep: Path | None, name: str
) -> dict[str, Any]:
    """One engine x page record: accuracy, median seconds and the raw runs."""
    if keep is not None:
        (keep / f"{name}.{page.name}.txt").write_text(text, encoding="utf-8")
    return {
        "accuracy": round(accuracy(text, page.text, page.script), 4),
        # Lost or extra spaces apart (the same as accuracy on CJK pages).
        "accuracy_ignoring_spaces": round(accuracy(text, page.text, "cjk"), 4),
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds": [round(s, 3) for s in seconds],
        "reference_chars": len(normalise(page.text, page.script)),
        "output_chars": len(normalise(text, page.script)),
    }


def bench_tesseract(pages: list[Any], reps: int, keep: Path | None) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    for name, langs, psm, omp in TESSERACT_VARIANTS:
        results = {}
        for page in pages:
            run = tesseract_page(page, langs, psm, omp, reps)
            results[page.name] = summarise(page, run["seconds"], run["text"], keep, name)
            peak = run["peak_rss_mib"] and round(run["peak_rss_mib"], 1)
            results[page.name].update(languages=run["languages"], peak_rss_mib=peak)
            print(
                f"{name:32} {page.name:12} {results[page.name]['accuracy']:.4f} "
                f"{results[page.name]['seconds_median']:.2f} s",
                file=sys.stderr,
            )
        engines[name] = {
            "engine": "tesseract",
            "psm": psm,
            "omp_thread_limit": omp,
            "version": tesseract_version(),
            "pages": results,
        }
    return engines


def bench_rapidocr(python: str, pages: list[Any], reps: int, keep: Path | None) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    for name, kwargs in RAPIDOCR_VARIANTS:
        report = rapidocr_pages(python, kwargs, pages, reps)
        results = {}
        for page in pages:
            run = report["pages"][str(page.path)]
            results[page.name] = summarise(page, run["seconds"], run["text"], keep, name)
            print(
                f"{name:32} {page.name:12} {results[page.name]['accuracy']:.4f} "
                f"{results[page.name]['seconds_median']:.2f} s",
                file=sys.stderr,
            )
        engines[name] = {
            "engine": "rapidocr",
            "options": kwargs,
            "versions": report["versions"],
            "load_seconds": round(report["load_seconds"], 3),
            "peak_rss_mib": round(report["peak_rss_mib"], 1),
            "pages": results,
        }
    return engines


def machine() -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    names = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    cpu = next(names, platform.processor())
    return {
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


# ---- image sizes ----------------------------------------------------------------------------

IMAGE_SIZE_DOCKERFILE = """\
FROM python:3.11-slim-bookworm AS base
ENV DEBIAN_FRONTEND=noninteractive
FROM base AS tesseract_cli
RUN apt-get update && apt-get install -y --no-install-recommends \\
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim && \\
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
FROM base AS libtesseract
RUN apt-get update && apt-get install -y --no-install-recommends \\
      libtesseract5 tesseract-ocr-eng tesseract-ocr-chi-sim && \\
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
FROM base AS onnx
RUN --mount=type=secret,id=ca_bundle PIP_CERT=/run/secrets/ca_bundle \\
    pip install --no-cache-dir numpy==2.4.6 onnxruntime==1.32.0
FROM onnx AS rapidocr
RUN --mount=type=secret,id=ca_bundle PIP_CERT=/run/secrets/ca_bundle \\
    pip install --no-cache-dir rapidocr-onnxruntime==1.4.4
FROM onnx AS rapidocr_headless
RUN --mount=type=secret,id=ca_bundle export PIP_CERT=/run/secrets/ca_bundle && \\
    pip install --no-cache-dir --no-deps rapidocr-onnxruntime==1.4.4 && \\
    pip install --no-cache-dir pyclipper "shapely!=2.0.4" pyyaml six tqdm pillow \\
      opencv-python-headless && python -c "import rapidocr_onnxruntime"
FROM base AS pillow
RUN --mount=type=secret,id=ca_bundle PIP_CERT=/run/secrets/ca_bundle \\
    pip install --no-cache-dir pillow==13.0.0
"""
# target -> the target it is measured against
IMAGE_SIZE_TARGETS = {
    "tesseract_cli": "base",
    "libtesseract": "base",
    "onnx": "base",
    "rapidocr": "onnx",
    "rapidocr_headless": "onnx",
    "pillow": "base",
}


def image_sizes(ca_bundle: str) -> dict[str, Any]:
    """Build each probe target; return its size delta (MB, 10^6 bytes) over its parent."""
    from ragctl.docker import Build, Docker  # not in the RapidOCR worker's Python

    docker = Docker()
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        dockerfile = Path(folder) / "Dockerfile"
        dockerfile.write_text(IMAGE_SIZE_DOCKERFILE)
        for target in ["base", *IMAGE_SIZE_TARGETS]:
            tag = f"bench-ocr-size:{target}"
            secrets = {"ca_bundle": ca_bundle}
            docker.buildx_build(
                Build(Path(folder), dockerfile, (tag,), secrets=secrets, target=target)
            )
            sizes[target] = int(docker.image_inspect(tag)["Size"])
    return {
        "dockerfile": IMAGE_SIZE_DOCKERFILE,
        "base_bytes": sizes["base"],
        "delta_mb": {
            t: round((sizes[t] - sizes[p]) / 1e6, 1) for t, p in IMAGE_SIZE_TARGETS.items()
        },
        "delta_over": IMAGE_SIZE_TARGETS,
    }


# ---- the suite -------------------------------------------------------------------------------

# rag-api's own path: the parser (src/parsing/ocr.py), as the service runs it on an upload.
RAG_API = "rag-api (tesseract, eng+chi_sim, psm 3, 1 thread)"


def rag_api_page(page: Any, reps: int) -> dict[str, Any]:
    from src.parsing import extract_text

    data = page.path.read_bytes()
    seconds, text = [], ""
    for _ in range(reps):
        start = time.perf_counter()
        text = extract_text(data, page.path.suffix).text
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "text": text}


def bench_rag_api(pages: list[Any], reps: int) -> dict[str, Any]:
    results = {}
    for page in pages:
        run = rag_api_page(page, reps)
        results[page.name] = summarise(page, run["seconds"], run["text"], None, RAG_API)
    return {RAG_API: {"engine": "tesseract", "version": tesseract_version(), "pages": results}}


def measure(
    reps: int, variants: bool, rapidocr_python: str | None, keep: Path | None = None
) -> dict[str, Any]:
    """Each engine x page's accuracy and seconds: rag-api's own path always, the Tesseract
    variants if `variants`, RapidOCR with a Python that has it."""
    from bench import ocr_pages

    with tempfile.TemporaryDirectory() as tmp:
        pages = ocr_pages.build(keep or Path(tmp))
        engines = bench_rag_api(pages, reps)
        if variants:
            engines.update(bench_tesseract(pages, reps, keep))
        if rapidocr_python:
            engines.update(bench_rapidocr(rapidocr_python, pages, reps, keep))
    return engines


def records(engines: dict[str, Any], sizes: dict[str, Any] | None) -> list[Record]:
    found: list[Record] = []
    for variant, engine in engines.items():
        for page, result in engine["pages"].items():
            found.append(Record("ocr", variant, f"{page} accuracy", result["accuracy"], ""))
            found.append(summarize("ocr", variant, f"{page} seconds", result["seconds"], "s"))
    for target, mb in (sizes or {}).get("delta_mb", {}).items():
        found.append(Record("ocr image", target, "growth", mb * 1e6, "B"))
    return found


def ocr(
    reps: int, variants: bool, rapidocr_python: str | None, sizes: bool, kept: list[Record]
) -> list[Record]:
    """The suite's records; those of engines or sizes not measured this run are kept from
    the results already there (RapidOCR needs a Python of its own, sizes a Docker engine)."""
    measured = records(
        measure(reps, variants, rapidocr_python),
        image_sizes("/etc/ssl/certs/ca-certificates.crt") if sizes else None,
    )
    again = {(r.scenario, r.variant) for r in measured}
    return measured + [r for r in kept if (r.scenario, r.variant) not in again]


def main() -> None:
    """The RapidOCR worker, run in a Python that has it (`--worker KWARGS --reps N PATHS`)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    json.dump(worker(json.loads(args.worker), args.paths, args.reps), sys.stdout)


if __name__ == "__main__":
    main()
