"""`ragctl update`: build, health-gated restart, then keep disk flat (the reference's
`scripts/update.sh`, done right)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ragctl import config, retention
from ragctl.commands import build as build_command
from ragctl.commands.common import add_ready_timeout
from ragctl.containers import Target, replace
from ragctl.output import progress, result


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default=config.CONTAINER, help="container name")
    parser.add_argument("--port", type=int, default=config.PORT, help="host port")
    parser.add_argument("--env-file", type=Path, help="env file for the container (e.g. .env)")
    parser.add_argument(
        "--data",
        type=Path,
        default=config.DATA_DIR,
        help="host directory mounted as the data volume",
    )
    add_ready_timeout(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    build_command.add_arguments(parser)
    add_target_arguments(parser)
    parser.add_argument("--use-image", help="deploy this image instead of building one")
    parser.add_argument(
        "--keep",
        type=int,
        default=config.KEEP_VERSIONS,
        help="image versions kept for rollback (default %(default)s)",
    )


def target_of(args: argparse.Namespace) -> Target:
    env_file = args.env_file
    if env_file is None and Path(".env").is_file():
        env_file = Path(".env")
    return Target(args.name, args.port, env_file, str(args.data), args.ready_timeout)


def main(args: argparse.Namespace) -> int:
    report = None
    image = args.use_image
    if image is None:
        report = build_command.build(args)
        image = report.ref
    gap = replace(target_of(args), image)
    progress(
        "pruning: dangling images, versions beyond the last "
        f"{args.keep}, build cache beyond {args.cache_budget}"
    )
    removed = retention.apply(args.image, args.keep)
    retention.safe_prune(args.cache_budget)
    data = {
        "image": image,
        "container": args.name,
        "port": args.port,
        "unserved_seconds": round(gap, 2),
        "removed_images": removed,
        "build": report.as_dict() if report else None,
    }
    result(
        data,
        f"{args.name} now runs {image} on port {args.port} "
        f"(port unserved for {gap:.1f}s); removed {len(removed)} old image(s)",
    )
    return 0
