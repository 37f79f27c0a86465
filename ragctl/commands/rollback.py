"""`ragctl rollback [VERSION]`: start a version from each target's own deploy history (by
default the one deployed before the live one); pulls only if its image is gone."""

from __future__ import annotations

import argparse
from functools import partial

from ragctl import docker, ecr, release, targets
from ragctl.commands.common import add_remote_arguments
from ragctl.commands.deploy import add_target_arguments, engines_of, options_of, report
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.rollout import Outcome, roll_out
from ragctl.runner import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", nargs="?", help="version from the history (default: previous)")
    add_remote_arguments(parser)
    add_target_arguments(parser)


def pick(history: list[targets.Deployed], version: str | None, where: str) -> targets.Deployed:
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


def _pull_from_ecr(args: argparse.Namespace, ref: str) -> None:
    remote = release.connect(args.region, args.repository)
    ecr.with_login_retry(remote.creds, lambda: run(docker.cli("pull", ref)))


def main(args: argparse.Namespace) -> int:
    options, engines = options_of(args), engines_of(args)
    outcomes: list[Outcome] = []
    for engine in engines:
        with docker.on_engine(engine):
            live = targets.live(options.name)
        if live.history_damage:
            raise RagctlError(
                f"{engine.spec}: cannot tell which versions to roll back to: the deploy history "
                f"of container {options.name} has its {live.history_damage}",
                hint="deploy the version wanted by name (ragctl deploy VERSION): that writes a "
                "new history",
            )
        chosen = pick(live.history, args.version, engine.spec)
        progress(f"{engine.spec}: rolling back to {chosen.version} ({chosen.digest[:19]})")
        outcomes.append(
            roll_out(
                engine,
                chosen.version,
                chosen.ref,
                options,
                needed_bytes=None,
                pull=partial(_pull_from_ecr, args, chosen.ref),
            )
        )
    report(outcomes, "rolled back to", {})
    return 0
