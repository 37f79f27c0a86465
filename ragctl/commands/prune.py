"""`ragctl prune [--deep]`: routine clean-up, or the reference's manual deep clean, on one
engine (never a version a deploy history may roll back to)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ragctl import config, disk, retention
from ragctl.commands.common import add_cache_allowance, add_target_arguments, targets
from ragctl.docker import Docker
from ragctl.output import Report, progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deep",
        action="store_true",
        help="remove every unused image and all build cache (slow next build)",
    )
    parser.add_argument("--image", default=config.image())
    parser.add_argument("--keep", type=int, default=config.HISTORY_KEEP)
    add_cache_allowance(parser)
    add_target_arguments(parser, many=False)


def deep(docker: Docker) -> Report:
    progress(
        "WARNING: deep clean removes every unused image (except the versions a deploy "
        "history may roll back to) and the whole build cache, the uv download cache "
        "included: the next build starts from scratch"
    )
    removed = retention.deep_clean(docker)
    return Report(
        {"deep": True, "removed_images": removed},
        f"deep clean done: {len(removed)} image(s) removed; the next build starts from scratch",
    )


@dataclass(frozen=True)
class Options:
    docker: Docker
    deep: bool
    image: str
    keep: int
    cache_allowance: str


def options(args: argparse.Namespace) -> Options:
    (docker,) = targets(args)
    return Options(docker, args.deep, args.image, args.keep, args.cache_allowance)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(options: Options) -> Report:
    docker = options.docker
    if options.deep:
        return deep(docker)
    removed = retention.apply(docker, options.image, options.keep)
    disk.safe_prune(docker, options.image, options.cache_allowance)
    return Report(
        {"deep": False, "removed_images": removed},
        f"removed {len(removed)} old version(s), dangling images, and build cache beyond "
        f"{options.cache_allowance}",
    )
