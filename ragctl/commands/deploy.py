"""`ragctl deploy`: put a pushed version on one or more Docker engines, one after another,
stopping at the first failure. Each switch waits for /ready; the old container serves until
then and comes back if the new one fails."""

from __future__ import annotations

import argparse

from ragctl import config, envfile, release
from ragctl.commands.common import (
    ReleaseOptions,
    add_remote_arguments,
    add_service_arguments,
    add_target_arguments,
    outcomes_report,
    release_options,
)
from ragctl.errors import RagctlError
from ragctl.output import Report, progress
from ragctl.rollout import DISK_FACTOR, Deployable, Outcome, roll_out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", nargs="?", help="version to deploy (default: last pushed)")
    add_remote_arguments(parser)
    add_target_arguments(parser)
    add_service_arguments(parser, config.DEPLOY_VOLUME)


Options = ReleaseOptions  # version None: the last pushed
options = release_options


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(deploy: Options) -> Report:
    options, engines = deploy.rollout, deploy.engines
    if warning := envfile.raw_secret_warning(options.env_file):
        progress(warning)
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
