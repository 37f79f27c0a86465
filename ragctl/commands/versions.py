"""`ragctl versions`: the versions in ECR, each target's deploy history, and which one is live."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from ragctl import config, release, service
from ragctl.commands.common import (
    RemoteOptions,
    add_remote_arguments,
    add_target_arguments,
    remote_options,
    targets,
)
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import Report, human_bytes, progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_remote_arguments(parser)
    add_target_arguments(parser)
    parser.add_argument("--name", help="container name (default: the rag-api service)")
    parser.add_argument("--no-ecr", action="store_true", help="show only the targets")


def _ecr(remote_at: RemoteOptions | None) -> tuple[list[dict[str, Any]], str | None]:
    if remote_at is None:
        return [], None
    try:
        remote = remote_at.connect()
        return [v.__dict__ for v in release.remote_versions(remote)], remote.repository.uri
    except RagctlError as exc:
        progress(f"WARNING: ECR not listed: {exc.message}")
        return [], None


def _target(docker: Docker, name: str | None) -> dict[str, Any]:
    live = service.find(docker, name, config.compose_project())
    ids = docker.image_ids(*(entry.ref for entry in live.history))
    running = live.image_id if live.running else None
    history = [
        {**entry.__dict__, "live": ids.get(entry.ref) == running, "image_present": entry.ref in ids}
        for entry in live.history
    ]
    live_ref = next((e["ref"] for e in history if e["live"]), running)
    return {"target": docker.engine.address, "live": live_ref, "history": history}


def _text(uri: str | None, remote: list[dict[str, Any]], found: list[dict[str, Any]]) -> str:
    lines = [f"ECR {uri}:" if uri else "ECR: not listed"]
    for v in remote:
        lines.append(
            f"  {v['version']:<32} {v['digest'][:19]}  {v['created'][:19]}  "
            f"{human_bytes(v['compressed_bytes'])}"
        )
    for target in found:
        lines.append(f"target {target['target']}:")
        for entry in target["history"]:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry["deployed_at"]))
            mark = "live" if entry["live"] else ("" if entry["image_present"] else "(to pull)")
            lines.append(
                f"  {entry['version']:<32} {entry['ref'].rsplit('@')[-1][:19]}  "
                f"deployed {when}  {mark}"
            )
        if not target["history"]:
            lines.append("  nothing deployed by ragctl")
    return "\n".join(lines)


@dataclass(frozen=True)
class Options:
    remote: RemoteOptions | None  # None: ECR not listed
    engines: list[Docker]
    name: str | None


def options(args: argparse.Namespace) -> Options:
    remote = None if args.no_ecr else remote_options(args)
    return Options(remote, targets(args), args.name)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(options: Options) -> Report:
    remote, uri = _ecr(options.remote)
    found = [_target(docker, options.name) for docker in options.engines]
    data = {"repository": uri, "ecr": remote, "targets": found}
    return Report(data, _text(uri, remote, found))
