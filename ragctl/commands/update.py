"""`ragctl update`: build, then deploy that build to the engine it was built on (the
reference's `scripts/update.sh`, done right): the same health-gated switch, history and prune
as `deploy`, whether `docker compose` or ragctl started the running service."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ragctl import builder, compose, config, disk, envfile
from ragctl.builder import BuildOptions
from ragctl.commands.common import (
    add_build_arguments,
    add_service_arguments,
    add_target_arguments,
    build_options,
    outcomes_report,
    rollout_options,
    targets,
)
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.history import repository_of
from ragctl.output import Report, progress
from ragctl.rollout import Deployable, RolloutOptions, start_or_roll_out

VOLUME = f"./{config.DATA_DIR}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser)
    add_target_arguments(parser, many=False)
    add_service_arguments(parser, VOLUME)
    parser.add_argument("--use-image", help="deploy this local image instead of building one")


def _env_file() -> Path | None:
    """The checkout's .env, read afresh on every update (as compose reads it on every up)."""
    return Path(".env") if Path(".env").is_file() else None


@dataclass(frozen=True)
class Options:
    rollout: RolloutOptions
    build: BuildOptions
    docker: Docker
    use_image: str | None  # None: build one


def options(args: argparse.Namespace) -> Options:
    rollout = rollout_options(args, VOLUME, _env_file())
    build = build_options(args)
    (docker,) = targets(args)
    return Options(rollout, build, docker, args.use_image)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(update: Options) -> Report:
    options, build, docker = update.rollout, update.build, update.docker
    if warning := envfile.raw_secret_warning(options.env_file):
        progress(warning)
    report = None
    image = update.use_image
    if image is None:
        report = builder.build(docker, build)
        image = report.ref
    repository = repository_of(image)
    if repository == image or "@" in image:
        raise RagctlError(f"--use-image {image}: name the image as IMAGE:VERSION")
    version = image.removeprefix(f"{repository}:")
    project = compose.Project(build.source, options.compose_project)
    outcome = start_or_roll_out(docker, Deployable(repository, version, image), options, project)
    progress(f"pruning dangling images and build cache beyond {build.cache_allowance}")
    disk.safe_prune(docker, repository, build.cache_allowance)
    build_report = report.as_dict() if report else None
    return outcomes_report([outcome], "now runs", {"image": image, "build": build_report})
