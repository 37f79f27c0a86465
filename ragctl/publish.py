"""Pushing a local image to ECR under its version tag, counting the bytes that went up."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ragctl import ecr, release
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.pushlog import PushLog, bytes_uploaded


@dataclass(frozen=True)
class Pushed:
    repository: str
    version: str
    digest: str
    bytes_pushed: int
    layers_pushed: int
    seconds: float
    repository_created: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "version": self.version,
            "digest": self.digest,
            "ref": f"{self.repository}@{self.digest}",
            "bytes_pushed": self.bytes_pushed,
            "layers_pushed": self.layers_pushed,
            "push_seconds": round(self.seconds, 2),
            "repository_created": self.repository_created,
        }


def _upload(docker: Docker, remote: release.Remote, local: str, remote_ref: str) -> PushLog:
    log = PushLog()

    def on_line(line: str) -> None:
        log.feed(line)
        if ": Pushed" in line or "digest:" in line:
            progress(line.strip())

    docker.tag(local, remote_ref)
    try:
        ecr.with_login_retry(docker, remote.creds, lambda: docker.push(remote_ref, on_line=on_line))
    finally:
        # Only the tag goes: the image stays under its local name, which retention manages.
        docker.remove_image(remote_ref, missing_ok=True)
    return log


def push(docker: Docker, remote: release.Remote, local: str) -> Pushed:
    """Push `local` (image:version) as `version`; an identical image already there is not
    pushed again, a different one under the same version is refused (tags are immutable)."""
    version = local.rsplit(":", 1)[1]
    image_id = docker.image_inspect(local)["Id"]
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
        digest, uploaded, layers = existing.digest, 0, 0
    else:
        log = _upload(docker, remote, local, f"{uri}:{version}")
        manifest = api.manifest(name, log.digest)
        if manifest is None:
            raise RagctlError(f"the registry lost {uri}@{log.digest} right after the push")
        diff_ids = list(api.config(name, manifest)["rootfs"]["diff_ids"])
        uploaded = bytes_uploaded(log, diff_ids, manifest.layer_sizes)
        digest, layers = log.digest, len(log.pushed)
    release.record_push(uri, version, digest, uploaded)
    seconds = time.monotonic() - started
    created = remote.repository.created
    return Pushed(uri, version, digest, uploaded, layers, seconds, created)
