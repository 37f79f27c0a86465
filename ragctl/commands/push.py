"""`ragctl push`: build (cached: seconds), then push the version to ECR by its own tag.

Creates the repository when missing (immutable tags, scan on push, lifecycle policy); logs in
with the password on stdin; reports the bytes that actually went up.
"""

from __future__ import annotations

import argparse

from ragctl import builder, config, publish
from ragctl.commands.common import (
    add_build_arguments,
    add_remote_arguments,
    build_options,
    remote_options,
)
from ragctl.docker import Docker
from ragctl.output import human_bytes, result
from ragctl.version import current_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser)
    add_remote_arguments(parser)
    parser.add_argument(
        "--no-build", action="store_true", help="push the existing local image, do not build"
    )
    parser.add_argument(
        "--keep-remote",
        type=int,
        default=config.ECR_KEEP,
        help="version tags kept by a new repository's lifecycle policy (default %(default)s)",
    )


def main(args: argparse.Namespace) -> int:
    docker, options = Docker(), build_options(args)
    build_report = None
    if args.no_build:
        local = f"{options.image}:{options.version or current_version(options.source)}"
    else:
        report = builder.build(docker, options)
        local, build_report = report.ref, report.as_dict()
    remote = remote_options(args).connect(create=True, keep=args.keep_remote)
    pushed = publish.push(docker, remote, local)
    result(
        {**pushed.as_dict(), "build": build_report},
        f"pushed {pushed.repository}:{pushed.version} ({pushed.digest[:19]}): "
        f"{human_bytes(pushed.bytes_pushed)} in {pushed.layers_pushed} layer(s), "
        f"{pushed.seconds:.1f}s",
    )
    return 0
