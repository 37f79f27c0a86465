"""Versions in ECR: connecting, resolving a version to its digest, and the push record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ragctl import ecr, platforms, state
from ragctl.docker import Docker
from ragctl.errors import RagctlError

PUSH_RECORDS_KEPT = 50


@dataclass(frozen=True)
class Release:
    uri: str
    version: str
    digest: str
    compressed_bytes: int

    @property
    def ref(self) -> str:
        """Deploys go by digest: immune to a tag being moved or re-pushed."""
        return f"{self.uri}@{self.digest}"


@dataclass(frozen=True)
class Remote:
    client: Any
    repository: ecr.Repository
    creds: ecr.Credentials


def connect(region: str | None, name: str, create: bool = False, keep: int = 15) -> Remote:
    client = ecr.client(region)
    repository = (
        ecr.ensure_repository(client, name, keep) if create else ecr.find_repository(client, name)
    )
    if repository is None:
        raise RagctlError(f"no ECR repository {name!r}", hint="push a version first: ragctl push")
    return Remote(client, repository, ecr.credentials(client, repository))


def record_push(uri: str, version: str, digest: str, bytes_pushed: int) -> None:
    pushes = state.load("pushes")
    entry = {"version": version, "digest": digest, "pushed_at": time.time(), "bytes": bytes_pushed}
    earlier = [p for p in pushes.get(uri, []) if p["version"] != version]
    pushes[uri] = [entry, *earlier][:PUSH_RECORDS_KEPT]
    state.save("pushes", pushes)


def last_pushed_version(remote: Remote) -> str:
    """The version this machine pushed last, else the newest one in the repository."""
    recorded = state.load("pushes").get(remote.repository.uri)
    if recorded:
        return str(recorded[0]["version"])
    versions = remote_versions(remote)
    if not versions:
        raise RagctlError(
            f"{remote.repository.uri} holds no versions", hint="push one first: ragctl push"
        )
    return versions[0].version


def resolve(remote: Remote, version: str) -> Release:
    """The version's digest (a manifest list's, for a multi-platform version: each engine
    pulls its own architecture's image from it)."""
    api, name = remote.creds.api(), remote.repository.name
    manifest = api.manifest(name, version)
    if manifest is None:
        known = ", ".join(sorted(remote.creds.api().tags(remote.repository.name))[:20]) or "none"
        raise RagctlError(
            f"version {version!r} is not in {remote.repository.uri}",
            hint=f"versions there: {known}",
        )
    image = api.image_manifest(name, version) if manifest.is_list else manifest
    size = sum(image.layer_sizes) if image else 0
    return Release(remote.repository.uri, version, manifest.digest, size)


@dataclass(frozen=True)
class RemoteVersion:
    version: str
    digest: str
    created: str
    compressed_bytes: int


def remote_versions(remote: Remote) -> list[RemoteVersion]:
    """Every version tag with its digest and build time, newest first (an architecture's own
    tag, `VERSION-ARCH`, is part of its version, not one of its own)."""
    api, name = remote.creds.api(), remote.repository.name
    tags = api.tags(name)
    found = []
    for tag in tags:
        if platforms.version_of(tag) != tag and platforms.version_of(tag) in tags:
            continue
        manifest, image = api.manifest(name, tag), api.image_manifest(name, tag)
        if manifest is None or image is None:
            continue
        created = str(api.config(name, image).get("created", ""))
        found.append(RemoteVersion(tag, manifest.digest, created, sum(image.layer_sizes)))
    return sorted(found, key=lambda v: v.created, reverse=True)


def puller(remote: Remote, ref: str) -> Callable[[Docker], Any]:
    """Pulls `ref` onto the engine of the client it is given, logged in to the registry."""
    return lambda docker: ecr.with_login_retry(docker, remote.creds, lambda: docker.pull(ref))
