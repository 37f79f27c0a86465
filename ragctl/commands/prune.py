"""`ragctl prune [--deep]`: routine clean-up, or the reference's manual deep clean."""

from __future__ import annotations

import argparse

from ragctl import config, docker, retention
from ragctl.output import progress, result
from ragctl.runner import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deep",
        action="store_true",
        help="remove every unused image and all build cache (slow next build)",
    )
    parser.add_argument("--image", default=config.IMAGE)
    parser.add_argument("--keep", type=int, default=config.KEEP_VERSIONS)
    parser.add_argument("--cache-budget", default=config.BUILD_CACHE_BUDGET)
    parser.add_argument(
        "--target", default="local", help="Docker engine to clean (as for deploy; default local)"
    )


def main(args: argparse.Namespace) -> int:
    with docker.on_engine(docker.Engine(args.target)):
        return _prune(args)


def _prune(args: argparse.Namespace) -> int:
    if args.deep:
        progress(
            "WARNING: deep clean removes every unused image (except the versions a deploy "
            "history may roll back to) and the whole build cache, the uv download cache "
            "included: the next build starts from scratch"
        )
        removed = retention.remove_unprotected()
        run(docker.cli("builder", "prune", "-a", "-f"))
        result(
            {"deep": True, "removed_images": removed},
            f"deep clean done: {len(removed)} image(s) removed; the next build starts from scratch",
        )
        return 0
    removed = retention.apply(args.image, args.keep)
    retention.safe_prune(args.cache_budget)
    result(
        {"deep": False, "removed_images": removed},
        f"removed {len(removed)} old version(s), dangling images, and build cache beyond "
        f"{args.cache_budget}",
    )
    return 0
