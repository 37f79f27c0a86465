"""Pushing a local image to ECR under its version tag, counting the bytes that went up; or
each architecture's image under `VERSION-ARCH` and, under the version's own tag, the manifest
list that names them (an engine pulling the version gets its own architecture's image)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ragctl import ecr, platforms, release
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.pushlog import PushLog, bytes_uploaded
from ragctl.registry import manifest_list


@dataclass(frozen=True)
class Pushed:
    repository: str
    version: str
    digest: str
    bytes_pushed: int
    layers_pushed: int
    seconds: float
    repository_created: bool
    platforms: dict[str, Pushed] = field(default_factory=dict)

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
            "platforms": {name: one.as_dict() for name, one in self.platforms.items()},
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


def push(docker: Docker, remote: release.Remote, local: str, record: bool = True) -> Pushed:
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
    if record:
        release.record_push(uri, version, digest, uploaded)
    seconds = time.monotonic() - started
    created = remote.repository.created
    return Pushed(uri, version, digest, uploaded, layers, seconds, created)


def push_platforms(
    docker: Docker, remote: release.Remote, image: str, version: str, built: tuple[str, ...]
) -> Pushed:
    """Push each platform's `image:VERSION-ARCH`, then the list naming them as `version`."""
    started = time.monotonic()
    each = {
        platform: push(docker, remote, f"{image}:{platforms.arch_tag(version, platform)}", False)
        for platform in built
    }
    digest = _put_list(remote, version, {p: one.digest for p, one in each.items()})
    uploaded = sum(one.bytes_pushed for one in each.values())
    layers = sum(one.layers_pushed for one in each.values())
    release.record_push(remote.repository.uri, version, digest, uploaded)
    seconds, created = time.monotonic() - started, remote.repository.created
    uri = remote.repository.uri
    return Pushed(uri, version, digest, uploaded, layers, seconds, created, each)


def _put_list(remote: release.Remote, version: str, digests: dict[str, str]) -> str:
    """The manifest list under `version`: kept when it names these very images, refused when
    it names others (tags are immutable)."""
    api, name, uri = remote.creds.api(), remote.repository.name, remote.repository.uri
    existing = api.manifest(name, version)
    if existing is not None and existing.platforms != digests:
        raise RagctlError(
            f"{uri}:{version} already exists with different images (tags are immutable)",
            hint="commit the change so it gets a new version, or pass --version",
        )
    if existing is not None:
        progress(f"{uri}:{version} is already pushed")
        return existing.digest
    images = {platform: api.manifest(name, digest) for platform, digest in digests.items()}
    listed = manifest_list({p: m for p, m in images.items() if m is not None})
    digest = api.put_manifest(name, version, listed)
    progress(f"{uri}:{version}: manifest list of {', '.join(digests)} ({digest[:19]})")
    return digest
