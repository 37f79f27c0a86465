"""`ragctl build`: a BuildKit build tagged with the version and `latest`, step by step."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from ragctl import builder, ecr, release
from ragctl.builder import BuildOptions
from ragctl.commands.common import (
    RemoteOptions,
    add_build_arguments,
    add_platform_argument,
    add_remote_arguments,
    add_target_arguments,
    build_options,
    remote_options,
    targets,
)
from ragctl.docker import Docker
from ragctl.output import Report, human_bytes, progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser)
    add_platform_argument(parser)
    parser.add_argument(
        "--cache-from-ecr",
        nargs="?",
        const="last",
        metavar="VERSION",
        help="seed the build cache from a version in ECR (default: the last pushed), for a "
        "builder whose own cache is empty",
    )
    add_remote_arguments(parser)
    add_target_arguments(parser, many=False)


def ecr_cache_source(docker: Docker, remote_at: RemoteOptions, version: str) -> str:
    """The pushed version as a cache source: its inline cache metadata lets a builder with an
    empty cache reuse every unchanged layer instead of rebuilding it."""
    remote = remote_at.connect()
    ecr.login(docker, remote.creds)
    if version == "last":
        version = release.last_pushed_version(remote)
    source = f"{remote.repository.uri}:{version}"
    progress(f"using {source} as build cache")
    return source


@dataclass(frozen=True)
class Options:
    docker: Docker
    build: BuildOptions
    remote: RemoteOptions
    cache_from_ecr: str | None  # a version, or "last"


def options(args: argparse.Namespace) -> Options:
    (docker,) = targets(args)
    return Options(docker, build_options(args), remote_options(args), args.cache_from_ecr)


def run(options: Options) -> Report:
    docker, version, build = options.docker, options.cache_from_ecr, options.build
    if version:
        source = ecr_cache_source(docker, options.remote, version)
        build = dataclasses.replace(build, cache_from=(*build.cache_from, source))
    report = builder.build(docker, build)
    cached = sum(s.status == "cached" for s in report.steps)
    each = "".join(
        f"\n  {one.platform}: {one.ref} in {one.seconds:.1f}s, {human_bytes(one.size_bytes)}"
        for one in report.platforms
    )
    return Report(
        report.as_dict(),
        f"built {report.image}:{report.version} in {report.seconds:.1f}s "
        f"({cached}/{len(report.steps)} steps cached, {report.packages_prepared} package(s) "
        f"downloaded or built), {human_bytes(report.size_bytes)}{each}",
    )


def main(args: argparse.Namespace) -> Report:
    return run(options(args))
