"""`ragctl deploy`: put a pushed version on one or more Docker engines, one after another,
stopping at the first failure. Each switch waits for /ready; the old container serves until
then and comes back if the new one fails."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ragctl import config, release
from ragctl.commands.common import (
    RemoteOptions,
    add_remote_arguments,
    add_service_arguments,
    add_target_arguments,
    outcomes_report,
    remote_options,
    rollout_options,
    targets,
)
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import Report, progress
from ragctl.rollout import DISK_FACTOR, Deployable, Outcome, RolloutOptions, roll_out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", nargs="?", help="version to deploy (default: last pushed)")
    add_remote_arguments(parser)
    add_target_arguments(parser)
    add_service_arguments(parser, config.DEPLOY_VOLUME)


@dataclass(frozen=True)
class Options:
    version: str | None  # None: the last pushed
    rollout: RolloutOptions
    engines: list[Docker]
    remote: RemoteOptions


def options(args: argparse.Namespace) -> Options:
    rollout, engines = rollout_options(args, config.DEPLOY_VOLUME), targets(args)
    return Options(args.version, rollout, engines, remote_options(args))


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(deploy: Options) -> Report:
    options, engines = deploy.rollout, deploy.engines
    remote = deploy.remote.connect()
    version = deploy.version or release.last_pushed_version(remote)
    found = release.resolve(remote, version)
    wanted = Deployable(found.uri, version, found.ref, DISK_FACTOR * found.compressed_bytes)
    pull = release.puller(remote, found.ref)
    outcomes: list[Outcome] = []
    for docker in engines:
        address = docker.engine.address
        progress(f"{address}: deploying {version} ({found.digest[:19]})")
        try:
            outcomes.append(roll_out(docker, wanted, options, pull))
        except RagctlError as exc:
            done = ", ".join(o.target for o in outcomes) or "none"
            exc.message = f"{address}: {exc.message} (deployed before it: {done}; "
            exc.message += "later targets were not touched)"
            raise
    return outcomes_report(outcomes, "now runs", {"version": version, "digest": found.digest})
