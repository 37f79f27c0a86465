"""`ragctl prune [--deep]`: routine clean-up, or the reference's manual deep clean, on one
engine (never a version a deploy history may roll back to)."""

from __future__ import annotations

import argparse

from ragctl import config, disk, retention
from ragctl.commands.common import add_cache_allowance, add_target_arguments, targets
from ragctl.docker import Docker
from ragctl.output import progress, result


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


def deep(docker: Docker) -> None:
    progress(
        "WARNING: deep clean removes every unused image (except the versions a deploy "
        "history may roll back to) and the whole build cache, the uv download cache "
        "included: the next build starts from scratch"
    )
    removed = retention.deep_clean(docker)
    result(
        {"deep": True, "removed_images": removed},
        f"deep clean done: {len(removed)} image(s) removed; the next build starts from scratch",
    )


def main(args: argparse.Namespace) -> int:
    (docker,) = targets(args)
    if args.deep:
        deep(docker)
        return 0
    removed = retention.apply(docker, args.image, args.keep)
    disk.safe_prune(docker, args.image, args.cache_allowance)
    result(
        {"deep": False, "removed_images": removed},
        f"removed {len(removed)} old version(s), dangling images, and build cache beyond "
        f"{args.cache_allowance}",
    )
    return 0
