"""python -m bench SUITE: measure, then write JSON records, a markdown report and a chart.

Suites: `lifecycle` (builds and updates, reference vs rag-api, each on a fresh engine),
`ship` (push, deploy, rollback, fresh builder; the ECR rig), `multiarch` (an amd64 + arm64
version: build time and size per architecture, an amd64 server pulling its own, the arm64
image answering under QEMU), `serving` (embedding, ingest,
retrieve under load, memory, cold start), `postgres` (the same store served from SQLite and
from Postgres + pgvector, side by side), `ann` (ANN libraries side by side), `quality`
(nDCG@10 and Recall@100 on public BEIR sets, query-side ablations, and answers on XQuAD,
through the HTTP API), `ablation` (the store-side ablations and local models on the same sets,
a fresh store each), `collections` (a query inside a collection of a big store, upgrading a store to
collections), `rerank` (the rerank stage's latency against a reranker answering at once),
`embedding` (the local models' embedding speed against sentence-transformers), `ocr` (OCR
accuracy and seconds per page, engines side by side, and their image growth), `sources`
(readers during replaces of one source, a sync of unchanged files, SSRF probes), and `all`.
Docker suites need root."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bench import corpus, figures, readme, report
from bench.ablation import ablation
from bench.ann import ann
from bench.build import ragctl_json
from bench.collections import collections
from bench.lifecycle import lifecycle
from bench.multiarch import multiarch
from bench.ocr import ocr
from bench.postgres import postgres
from bench.proxy import proxy_cost
from bench.publish import publish
from bench.quality import quality
from bench.report import Record
from bench.rerank import rerank
from bench.serving import embed_throughput, serving
from bench.ship import ship
from bench.sources import sources

QUICK = {
    "reps": 1,
    "cycles": 2,
    # Each of these downloads PyTorch again (~3.3 GB): the full form measures them.
    "export_change": False,
    "scratch_builder": False,
    "sizes": [2000],
    "ingest_chunks": 100,
    "load_seconds": 5,
    "heavy": False,
    "ann_size": 10_000,
    "ann_real": 1000,
    # The pytest suite already runs the quality subset (tests/bench/test_quality.py).
    "quality_sets": [],
    "quality_subset": 20,
    "collection_sample": 200,
    "upgrade_chunks": 2000,
    "rerank_size": 2000,
    "embed_texts": 64,
    "ocr_variants": False,
    "replaces": 40,
    "sync_files": 200,
}
FULL = {
    "reps": 3,
    "cycles": 10,
    "export_change": True,
    "scratch_builder": True,
    "sizes": [10_000, 100_000],
    "ingest_chunks": 1000,
    "load_seconds": 20,
    "ann_size": 100_000,
    "ann_real": 5000,
    "quality_sets": ["nfcorpus", "arguana", "xquad-zh"],
    "quality_subset": None,
    "collection_sample": 10_000,
    "upgrade_chunks": 100_000,
    "rerank_size": 100_000,
    "embed_texts": 512,
    "ocr_variants": True,
    "replaces": 200,
    "sync_files": 1000,
}


def _lifecycle(args: argparse.Namespace) -> list[Record]:
    records: list[Record] = []
    for variant in ("reference", "rag-api"):
        records += lifecycle(variant, args.reps, args.cycles, export_change=args.export_change)
    if args.heavy:  # the reference's "8 GB" case: PyTorch in the image
        for variant in ("reference", "rag-api"):
            records += lifecycle(
                variant, args.heavy_reps, args.cycles, heavy=True, export_change=args.export_change
            )
    return records


def _ship(args: argparse.Namespace) -> list[Record]:
    records = ship(args.image, args.reps, scratch_builder=args.scratch_builder)
    # The service image on the local engine (built by ship's pushes), asked with and without
    # the proxy in front.
    return records + proxy_cost(f"{args.image}:v0", args.reps, args.load_seconds)


def _multiarch(args: argparse.Namespace) -> list[Record]:
    return multiarch(f"{args.image}-multiarch")


def _serving(args: argparse.Namespace) -> list[Record]:
    # The service image on the local engine, for container cold starts (cached if built).
    image = ragctl_json("build", "--image", args.image, "--version", "serving")["ref"]
    return serving(image, args.sizes, args.reps, args.ingest_chunks, args.load_seconds, args.stores)


def _collections(args: argparse.Namespace) -> list[Record]:
    return collections(
        args.stores,
        max(args.sizes),
        args.collection_sample,
        args.upgrade_chunks,
        args.reps,
        args.load_seconds,
    )


def _postgres(args: argparse.Namespace) -> list[Record]:
    return postgres(args.sizes, args.load_seconds, args.stores, args.reps)


def _ann(args: argparse.Namespace) -> list[Record]:
    return ann(args.ann_size, args.ann_real, queries=500)


def _embedding(args: argparse.Namespace) -> list[Record]:
    # The local models side by side: fp32, int8, and sentence-transformers at the same batch.
    return embed_throughput(corpus.sentences(args.embed_texts), args.reps, "embed_models")


def _rerank(args: argparse.Namespace) -> list[Record]:
    return rerank(args.stores, args.rerank_size, args.reps, args.load_seconds)


def _ocr(args: argparse.Namespace) -> list[Record]:
    earlier = args.out / "ocr.json"
    kept = report.read(earlier) if earlier.is_file() else []
    return ocr(args.reps, args.ocr_variants, args.rapidocr_python, args.ocr_image_sizes, kept)


def _sources(args: argparse.Namespace) -> list[Record]:
    return sources(args.replaces, args.sync_files, args.reps)


def _quality(args: argparse.Namespace) -> list[Record]:
    return quality(args.quality_sets, args.quality_subset)


def _ablation(args: argparse.Namespace) -> list[Record]:
    earlier = args.out / "ablation.json"
    kept = report.read(earlier) if earlier.is_file() else []
    return ablation(args.quality_sets, args.ablation_variants, kept)


SUITES = {
    "lifecycle": _lifecycle,
    "ship": _ship,
    "multiarch": _multiarch,
    "serving": _serving,
    "postgres": _postgres,
    "ann": _ann,
    "quality": _quality,
    "ablation": _ablation,
    "collections": _collections,
    "rerank": _rerank,
    "embedding": _embedding,
    "ocr": _ocr,
    "sources": _sources,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "suite",
        choices=[*SUITES, "all", "report", "readme"],
        help="`report` rebuilds each suite's markdown and all.{json,md,png} from the suites' "
        "JSON already in --out; "
        "`readme` rewrites the README's figures from them",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI form: 1 repetition, 2 update cycles, a 2k-chunk store, short load runs, no "
        "PyTorch scenario, no model-export change, no from-scratch fresh builder",
    )
    parser.add_argument("--reps", type=int, help="repetitions per figure (default 3)")
    parser.add_argument("--heavy-reps", type=int, default=2, help="repetitions with PyTorch")
    parser.add_argument("--cycles", type=int, help="consecutive update cycles (10; quick: 2)")
    parser.add_argument("--sizes", type=int, nargs="+", help="stored chunks for serving runs")
    parser.add_argument("--ingest-chunks", type=int, help="chunks ingested through HTTP")
    parser.add_argument("--load-seconds", type=int, help="duration of each load run")
    parser.add_argument(
        "--stores",
        type=Path,
        help="keep the filled serving stores here (one folder per size) and reuse them: "
        "a 1M-chunk fill takes about an hour",
    )
    parser.add_argument(
        "--collection-sample",
        type=int,
        help="chunks of the collection queried in the biggest store",
    )
    parser.add_argument(
        "--upgrade-chunks", type=int, help="chunks of the store upgraded to collections"
    )
    parser.add_argument("--embed-texts", type=int, help="chunks embedded per model and run")
    parser.add_argument("--rerank-size", type=int, help="stored chunks for the rerank stage")
    parser.add_argument("--ann-size", type=int, help="vectors in the ANN comparison")
    parser.add_argument("--ann-real", type=int, help="of which the model's own embeddings")
    parser.add_argument("--quality-sets", nargs="+", help="BEIR sets in ../shared/eval")
    parser.add_argument(
        "--quality-subset", type=int, help="only the first N queries and a cut corpus"
    )
    parser.add_argument(
        "--ablation-variants",
        nargs="+",
        help="ablation: only these store variants (default: all); the others' figures in "
        "--out are kept",
    )
    parser.add_argument(
        "--ocr-variants",
        action="store_true",
        default=None,
        help="ocr: Tesseract's settings side by side as well as rag-api's own (the full form)",
    )
    parser.add_argument(
        "--rapidocr-python", help="ocr: a Python with rapidocr-onnxruntime, to measure it too"
    )
    parser.add_argument(
        "--ocr-image-sizes", action="store_true", help="ocr: build each engine's image (Docker)"
    )
    parser.add_argument("--replaces", type=int, help="sources: versions of one source stored")
    parser.add_argument("--sync-files", type=int, help="sources: files in the synced folder")
    parser.add_argument("--no-heavy", dest="heavy", action="store_false", default=None)
    parser.add_argument(
        "--no-export-change",
        dest="export_change",
        action="store_false",
        default=None,
        help="skip the model-export change (it downloads PyTorch again)",
    )
    parser.add_argument(
        "--no-scratch-builder",
        dest="scratch_builder",
        action="store_false",
        default=None,
        help="skip the from-scratch fresh builder (it downloads PyTorch again)",
    )
    parser.add_argument("--image", default="rag-api-bench", help="image name for rag-api")
    parser.add_argument("--out", type=Path, default=report.RESULTS, help="results folder")
    return parser


# Suites that repeat their figures `--reps` times; the others measure each figure once.
REPEATED = (
    "lifecycle",
    "ship",
    "serving",
    "postgres",
    "collections",
    "rerank",
    "embedding",
    "ocr",
    "sources",
)
# lifecycle, ship and multiarch start a second engine and the ECR rig; serving drops the page cache
# before each cold start.
AS_ROOT = ("lifecycle", "ship", "multiarch", "serving", "all")


def _run(name: str, args: argparse.Namespace) -> tuple[list[Record], dict[str, Any]]:
    # Taken before the suite runs: the commit and the date are those of the code measured.
    meta = report.meta(args.reps if name in REPEATED else 1, args.quick)
    return SUITES[name](args), meta


def main() -> int:
    args = _parser().parse_args()
    if args.suite == "readme":
        changed = readme.write(figures.render(readme.load(args.out)))
        print(f"README blocks rewritten: {', '.join(changed) or 'none changed'}")
        return 0
    for key, value in {"heavy": True, **(QUICK if args.quick else FULL)}.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if os.geteuid() != 0 and args.suite in AS_ROOT:
        raise SystemExit(f"`{args.suite}` needs root: {', '.join(AS_ROOT[:-1])} do")
    if args.suite in SUITES:
        written = publish(args.out, args.suite, *_run(args.suite, args))
    else:
        for name in SUITES:
            if args.suite == "all":  # each suite's records are kept as soon as it is done
                report.write(args.out, name, *_run(name, args))
        # A suite not run yet into --out has no JSON there: it is left out of the report.
        paths = {n: p for n in SUITES if (p := args.out / f"{n}.json").is_file()}
        if args.suite == "report":  # each suite's own markdown, from its JSON as it stands
            for name, path in paths.items():
                publish(args.out, name, report.read(path), report.read_meta(path))
        records = [r for path in paths.values() for r in report.read(path)]
        suites = {name: report.read_meta(path) for name, path in paths.items()}
        written = publish(args.out, "all", records, suites)
    print(written.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
