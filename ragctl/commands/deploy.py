"""`ragctl deploy`: put a pushed version on one or more Docker engines, one after another,
stopping at the first failure. Each switch waits for /ready; the old container serves until
then and comes back if the new one fails."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ragctl import config, docker, ecr, release
from ragctl.commands.common import add_ready_timeout, add_remote_arguments
from ragctl.errors import RagctlError
from ragctl.output import progress, result
from ragctl.rollout import DISK_FACTOR, Options, Outcome, roll_out
from ragctl.runner import run


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        help="Docker engine: local (default), ssh://user@host, tcp://..., unix://... or "
        "context:NAME; repeat for several, deployed in order",
    )
    parser.add_argument("--name", default=config.CONTAINER, help="container name")
    parser.add_argument("--port", type=int, help="host port (default: the live one, else 8000)")
    parser.add_argument(
        "--env-file", type=Path, help="env file (default: the live container's variables)"
    )
    parser.add_argument(
        "--volume",
        help="data volume name or absolute host path (default: the live one, else "
        f"{config.DEPLOY_VOLUME})",
    )
    add_ready_timeout(parser)
    parser.add_argument(
        "--keep-history",
        type=int,
        default=config.HISTORY_KEEP,
        help="versions each target keeps for rollback (default %(default)s)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", nargs="?", help="version to deploy (default: last pushed)")
    add_remote_arguments(parser)
    add_target_arguments(parser)


def options_of(args: argparse.Namespace) -> Options:
    if args.keep_history < 2:
        raise RagctlError("--keep-history must be at least 2", hint="rollback needs two versions")
    return Options(
        args.name, args.port, args.env_file, args.volume, args.ready_timeout, args.keep_history
    )


def engines_of(args: argparse.Namespace) -> list[docker.Engine]:
    engines = [docker.Engine(spec) for spec in (args.target or ["local"])]
    for engine in engines:
        engine.flags  # noqa: B018 - validates every spec before touching any target
    return engines


def summary(outcomes: list[Outcome], verb: str) -> str:
    return "\n".join(
        f"{o.target}: {verb} {o.version} in {o.seconds:.1f}s"
        f" ({'pulled' if o.pulled else 'image already there'}; port unserved "
        f"{o.unserved_seconds:.1f}s; removed {len(o.removed_images)} image(s))"
        for o in outcomes
    )


def report(outcomes: list[Outcome], verb: str, extra: dict[str, Any]) -> None:
    result({**extra, "targets": [o.as_dict() for o in outcomes]}, summary(outcomes, verb))


def main(args: argparse.Namespace) -> int:
    options, engines = options_of(args), engines_of(args)
    remote = release.connect(args.region, args.repository)
    version = args.version or release.last_pushed_version(remote)
    target = release.resolve(remote, version)
    needed = DISK_FACTOR * target.compressed_bytes

    def pull() -> None:
        ecr.with_login_retry(remote.creds, lambda: run(docker.cli("pull", target.ref)))

    outcomes: list[Outcome] = []
    for engine in engines:
        progress(f"{engine.spec}: deploying {version} ({target.digest[:19]})")
        try:
            outcomes.append(
                roll_out(engine, version, target.ref, options, needed_bytes=needed, pull=pull)
            )
        except RagctlError as exc:
            done = ", ".join(o.target for o in outcomes) or "none"
            exc.message = f"{engine.spec}: {exc.message} (deployed before it: {done}; "
            exc.message += "later targets were not touched)"
            raise
    report(outcomes, "now runs", {"version": version, "digest": target.digest})
    return 0
