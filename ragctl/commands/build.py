"""`ragctl build`: a BuildKit build tagged with the version and `latest`, step by step."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl import config, docker, ecr, release, retention
from ragctl.buildkit import BuildLog, Step
from ragctl.commands.common import add_remote_arguments
from ragctl.errors import RagctlError
from ragctl.output import human_bytes, progress, result
from ragctl.runner import run
from ragctl.version import current_version


@dataclass
class BuildReport:
    image: str
    version: str
    tags: list[str]
    seconds: float
    size_bytes: int
    steps: list[Step] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "version": self.version,
            "ref": self.ref,
            "tags": self.tags,
            "seconds": round(self.seconds, 2),
            "size_bytes": self.size_bytes,
            "steps": [s.as_dict() for s in self.steps],
            "cached_steps": sum(s.status == "cached" for s in self.steps),
            "rebuilt_steps": sum(s.status == "done" for s in self.steps),
        }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--context",
        type=Path,
        default=config.ROOT,
        help="source checkout to build (default: this repository)",
    )
    parser.add_argument("--image", default=config.IMAGE, help="image name (default %(default)s)")
    parser.add_argument("--version", help="tag to use instead of the git version")
    parser.add_argument(
        "--ca-bundle",
        default=os.environ.get(config.CA_BUNDLE_ENV),
        help=f"CA bundle for download steps (or ${config.CA_BUNDLE_ENV})",
    )
    parser.add_argument(
        "--with-heavy", action="store_true", help="install the optional heavy dependency group"
    )
    parser.add_argument(
        "--cache-from",
        action="append",
        default=[],
        help="extra BuildKit cache source (e.g. type=registry,ref=...)",
    )
    parser.add_argument(
        "--cache-from-ecr",
        nargs="?",
        const="last",
        metavar="VERSION",
        help="seed the build cache from a version in ECR (default: the last pushed), for a "
        "builder whose own cache is empty",
    )
    add_remote_arguments(parser)
    parser.add_argument(
        "--min-free-gb",
        type=float,
        default=config.MIN_FREE_GB,
        help="free disk needed on the Docker root before building",
    )
    parser.add_argument(
        "--cache-budget",
        default=config.BUILD_CACHE_BUDGET,
        help="build cache kept by the safe prune (default %(default)s)",
    )


def ensure_disk(min_free_gb: float, cache_budget: str) -> None:
    """Below the floor, apply the safe prune once; still short, refuse with a clear message."""
    root = docker.root_dir()
    needed = int(min_free_gb * 1e9)
    if docker.root_free_bytes(root) >= needed:
        return
    progress(
        f"less than {min_free_gb:g} GB free on {root}: pruning dangling images and "
        f"build cache beyond {cache_budget}"
    )
    retention.safe_prune(cache_budget)
    free = docker.root_free_bytes(root)
    if free < needed:
        raise RagctlError(
            f"only {human_bytes(free)} free on {root}, the build needs {min_free_gb:g} GB",
            hint="free disk, or run `ragctl prune --deep` (the next build starts from scratch)",
        )


def build_args(args: argparse.Namespace, version: str) -> list[str]:
    image = args.image
    command = [
        *docker.cli("buildx", "build"),
        "--progress=plain",
        "--load",
        "-f",
        str(args.context / "Dockerfile"),
        "-t",
        f"{image}:{version}",
        "-t",
        f"{image}:latest",
        "--label",
        f"{config.VERSION_LABEL}={version}",
        "--label",
        f"{config.REVISION_LABEL}={version.split('-')[0]}",
    ]
    if args.ca_bundle:
        if not Path(args.ca_bundle).is_file():
            raise RagctlError(f"CA bundle {args.ca_bundle} does not exist")
        command += ["--secret", f"id=ca_bundle,src={args.ca_bundle}"]
    # Cache metadata in the image itself, so that a pushed image seeds a fresh builder's cache.
    command += ["--build-arg", "BUILDKIT_INLINE_CACHE=1"]
    if args.with_heavy:
        command += ["--build-arg", "WITH_HEAVY=1"]
    for source in args.cache_from:
        command += ["--cache-from", source]
    return [*command, str(args.context)]


def ecr_cache_source(args: argparse.Namespace) -> str:
    """The last pushed version as a cache source: its inline cache metadata lets a builder
    with an empty cache reuse every unchanged layer instead of rebuilding it."""
    remote = release.connect(args.region, args.repository)
    ecr.login(remote.creds)
    version = args.cache_from_ecr
    if version == "last":
        version = release.last_pushed_version(remote)
    source = f"{remote.repository.uri}:{version}"
    progress(f"using {source} as build cache")
    return source


def build(args: argparse.Namespace) -> BuildReport:
    ensure_disk(args.min_free_gb, args.cache_budget)
    version = args.version or current_version(args.context)
    if args.cache_from_ecr:
        args.cache_from = [*args.cache_from, ecr_cache_source(args)]
    log = BuildLog()

    def on_line(line: str) -> None:
        step = log.feed(line)
        if step and not step.internal:
            what = "cached " if step.status == "cached" else f"{step.status} {step.seconds:5.1f}s"
            progress(f"{what:>12} [{step.stage}] {step.instruction[:90]}")

    progress(f"building {args.image}:{version}")
    started = time.monotonic()
    run(build_args(args, version), on_line=on_line)
    seconds = time.monotonic() - started
    size = int(docker.image_inspect(f"{args.image}:{version}")["Size"])
    return BuildReport(args.image, version, [version, "latest"], seconds, size, log.steps())


def main(args: argparse.Namespace) -> int:
    report = build(args)
    cached = sum(s.status == "cached" for s in report.steps)
    result(
        report.as_dict(),
        f"built {report.ref} in {report.seconds:.1f}s "
        f"({cached}/{len(report.steps)} steps cached), {human_bytes(report.size_bytes)}",
    )
    return 0
