"""`ragctl rollback [VERSION]`: start a version from each target's deploy history (by default
the one before the live one), pulling it from ECR only if its image is gone."""

from __future__ import annotations

import argparse

from ragctl import config, release, service
from ragctl.commands.common import (
    ReleaseOptions,
    RemoteOptions,
    add_remote_arguments,
    add_service_arguments,
    add_target_arguments,
    outcomes_report,
    release_options,
)
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.history import Deployed
from ragctl.output import Report, progress
from ragctl.rollout import Deployable, Outcome, Pull, roll_out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", nargs="?", help="version from the history (default: previous)")
    add_remote_arguments(parser)
    add_target_arguments(parser)
    add_service_arguments(parser, config.DEPLOY_VOLUME)


def pick(history: list[Deployed], version: str | None, where: str) -> Deployed:
    if version is None:
        if len(history) < 2:
            raise RagctlError(
                f"{where}: no earlier version in the deploy history",
                hint="deploy a version first, or name one: ragctl deploy VERSION",
            )
        return history[1]
    for entry in history:
        if entry.version == version:
            return entry
    known = ", ".join(entry.version for entry in history) or "none"
    raise RagctlError(
        f"{where}: {version!r} is not in the deploy history", hint=f"the history holds: {known}"
    )


def _puller(remote: RemoteOptions, entry: Deployed) -> Pull | None:
    """From ECR for a version that came from there; a local build has nowhere to come from."""
    if "@" not in entry.ref:
        return None

    def pull(docker: Docker) -> None:
        release.puller(remote.connect(), entry.ref)(docker)

    return pull


Options = ReleaseOptions  # version None: the one before the live one
options = release_options


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(rollback: Options) -> Report:
    options, engines, remote = rollback.rollout, rollback.engines, rollback.remote
    outcomes: list[Outcome] = []
    for docker in engines:
        where = docker.engine.address
        live = service.find(docker, options.name, options.compose_project)
        if live.history_damage:
            raise RagctlError(
                f"{where}: cannot tell which versions to roll back to: the deploy history "
                f"of container {live.name} has its {live.history_damage}",
                hint="deploy the version wanted by name (ragctl deploy VERSION): that writes a "
                "new history",
            )
        entry = pick(live.history, rollback.version, where)
        progress(f"{where}: rolling back to {entry.version} ({entry.digest[:19]})")
        wanted = Deployable(entry.tag_repository, entry.version, entry.ref)
        outcomes.append(roll_out(docker, wanted, options, _puller(remote, entry)))
    return outcomes_report(outcomes, "rolled back to", {})
