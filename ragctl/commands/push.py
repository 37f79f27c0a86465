"""`ragctl push`: build (cached: seconds), then push the version to ECR by its own tag.

Creates the repository when missing (immutable tags, scan on push, lifecycle policy); logs in
with the password on stdin; reports the bytes that actually went up.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ragctl import config, docker, ecr, release
from ragctl.commands import build as build_command
from ragctl.errors import RagctlError
from ragctl.output import human_bytes, progress, result
from ragctl.pushlog import PushLog, bytes_uploaded
from ragctl.runner import run
from ragctl.version import current_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    build_command.add_arguments(parser)  # the ECR arguments included
    parser.add_argument(
        "--no-build", action="store_true", help="push the existing local image, do not build"
    )
    parser.add_argument(
        "--keep-remote",
        type=int,
        default=config.ECR_KEEP,
        help="version tags kept by a new repository's lifecycle policy (default %(default)s)",
    )


def _local_image(args: argparse.Namespace) -> tuple[str, dict[str, Any] | None]:
    if args.no_build:
        version = args.version or current_version(args.context)
        return f"{args.image}:{version}", None
    report = build_command.build(args)
    return report.ref, report.as_dict()


def _push(remote: release.Remote, local: str, target: str) -> PushLog:
    log = PushLog()

    def on_line(line: str) -> None:
        log.feed(line)
        if ": Pushed" in line or "digest:" in line:
            progress(line.strip())

    def push() -> None:
        run(docker.cli("push", target), on_line=on_line)

    run(docker.cli("tag", local, target))
    try:
        ecr.with_login_retry(remote.creds, push)
    finally:
        # Only the tag goes: the image stays under its local name, which retention manages.
        run(docker.cli("image", "rm", target), check=False)
    return log


def main(args: argparse.Namespace) -> int:
    local, build_report = _local_image(args)
    version = local.rsplit(":", 1)[1]
    image_id = docker.image_inspect(local)["Id"]
    remote = release.connect(args.region, args.repository, create=True, keep=args.keep_remote)
    api, name, uri = remote.creds.api(), remote.repository.name, remote.repository.uri
    existing = api.manifest(name, version)
    started = time.monotonic()
    if existing is not None and existing.config_digest != image_id:
        raise RagctlError(
            f"{uri}:{version} already exists with a different image (tags are immutable)",
            hint="commit the change so it gets a new version, or pass --version",
        )
    if existing is not None:
        progress(f"{uri}:{version} is already pushed")
        digest, uploaded, pushed_layers = existing.digest, 0, 0
    else:
        log = _push(remote, local, f"{uri}:{version}")
        manifest = api.manifest(name, log.digest)
        if manifest is None:
            raise RagctlError(f"the registry lost {uri}@{log.digest} right after the push")
        diff_ids = list(api.config(name, manifest)["rootfs"]["diff_ids"])
        uploaded = bytes_uploaded(log, diff_ids, manifest.layer_sizes)
        digest, pushed_layers = log.digest, len(log.pushed)
    seconds = time.monotonic() - started
    release.record_push(uri, version, digest, uploaded)
    data = {
        "repository": uri,
        "version": version,
        "digest": digest,
        "ref": f"{uri}@{digest}",
        "bytes_pushed": uploaded,
        "layers_pushed": pushed_layers,
        "push_seconds": round(seconds, 2),
        "repository_created": remote.repository.created,
        "build": build_report,
    }
    result(
        data,
        f"pushed {uri}:{version} ({digest[:19]}): {human_bytes(uploaded)} in "
        f"{pushed_layers} layer(s), {seconds:.1f}s",
    )
    return 0
