"""`ragctl push`: build (cached: seconds), then push the version to ECR by its own tag.

Creates the repository when missing (immutable tags, scan on push, lifecycle policy); logs in
with the password on stdin; reports the bytes that actually went up.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ragctl import builder, config, publish
from ragctl.builder import BuildOptions
from ragctl.commands.common import (
    RemoteOptions,
    add_build_arguments,
    add_platform_argument,
    add_remote_arguments,
    build_options,
    remote_options,
)
from ragctl.docker import Docker
from ragctl.output import Report, human_bytes
from ragctl.version import current_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser)
    add_platform_argument(parser)
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


@dataclass(frozen=True)
class Options:
    build: BuildOptions
    remote: RemoteOptions
    no_build: bool
    keep_remote: int


def options(args: argparse.Namespace) -> Options:
    return Options(build_options(args), remote_options(args), args.no_build, args.keep_remote)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(push: Options) -> Report:
    docker, options = Docker(), push.build
    build_report = None
    version = options.version or current_version(options.source)
    if not push.no_build:
        report = builder.build(docker, options)
        version, build_report = report.version, report.as_dict()
    remote = push.remote.connect(create=True, keep=push.keep_remote)
    if options.platforms:
        pushed = publish.push_platforms(docker, remote, options.image, version, options.platforms)
    else:
        pushed = publish.push(docker, remote, f"{options.image}:{version}")
    each = "".join(
        f"\n  {platform}: {human_bytes(one.bytes_pushed)} in {one.layers_pushed} layer(s)"
        for platform, one in pushed.platforms.items()
    )
    return Report(
        {**pushed.as_dict(), "build": build_report},
        f"pushed {pushed.repository}:{pushed.version} ({pushed.digest[:19]}): "
        f"{human_bytes(pushed.bytes_pushed)} in {pushed.layers_pushed} layer(s), "
        f"{pushed.seconds:.1f}s{each}",
    )
