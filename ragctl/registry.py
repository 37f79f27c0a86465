"""The Docker Registry HTTP API v2, which ECR speaks: tags, manifests (an image's, or a list of
one image per platform) and config blobs."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ragctl.errors import RagctlError

LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        LIST_TYPE,
        "application/vnd.oci.image.index.v1+json",
    ]
)


@dataclass(frozen=True)
class Manifest:
    digest: str
    body: dict[str, Any]
    media_type: str = ""
    size: int = 0  # bytes of the manifest itself, as a list entry names them

    @property
    def is_list(self) -> bool:
        return "manifests" in self.body

    @property
    def platforms(self) -> dict[str, str]:
        """A list's entries: "os/arch" to each image's manifest digest."""
        entries = self.body.get("manifests", [])
        return {platform_of(entry): str(entry["digest"]) for entry in entries}

    @property
    def config_digest(self) -> str:
        return str(self.body["config"]["digest"])

    @property
    def layer_sizes(self) -> list[int]:
        return [int(layer["size"]) for layer in self.body.get("layers", [])]


def platform_of(entry: dict[str, Any]) -> str:
    platform = entry.get("platform", {})
    return f"{platform.get('os', 'linux')}/{platform.get('architecture', '?')}"


def manifest_list(images: dict[str, Manifest]) -> dict[str, Any]:
    """The list that names one image per platform ("os/arch" to its manifest)."""
    entries = [
        {
            "mediaType": image.media_type,
            "size": image.size,
            "digest": image.digest,
            "platform": dict(zip(("os", "architecture"), platform.split("/"), strict=True)),
        }
        for platform, image in images.items()
    ]
    return {"schemaVersion": 2, "mediaType": LIST_TYPE, "manifests": entries}


@dataclass(frozen=True)
class Registry:
    host: str
    user: str
    password: str

    def _get(self, path: str, accept: str = "application/json") -> tuple[bytes, dict[str, str]]:
        return self._send(path, {"Accept": accept})

    def _send(
        self, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[bytes, dict[str, str]]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            f"https://{self.host}/v2/{path}",
            data=body,
            method="GET" if body is None else "PUT",
            headers={"Authorization": f"Basic {token}", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise
            raise RagctlError(
                f"registry {self.host} answered {exc.code} for {path}",
                hint="check the ECR permissions of these AWS credentials",
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RagctlError(
                f"cannot reach registry {self.host}: {exc}",
                hint="check the network, or SSL_CERT_FILE if a proxy inspects TLS",
            ) from exc

    def tags(self, repository: str) -> list[str]:
        try:
            body, _ = self._get(f"{repository}/tags/list")
        except urllib.error.HTTPError:
            return []
        return list(json.loads(body).get("tags") or [])

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        try:
            body, headers = self._get(f"{repository}/manifests/{reference}", MANIFEST_TYPES)
        except urllib.error.HTTPError:
            return None
        lowered = {key.lower(): value for key, value in headers.items()}
        media_type = lowered.get("content-type", "")
        return Manifest(lowered["docker-content-digest"], json.loads(body), media_type, len(body))

    def image_manifest(
        self, repository: str, reference: str, platform: str = "linux/amd64"
    ) -> Manifest | None:
        """The image `reference` names: itself, or for a list the entry for `platform` (else
        its first)."""
        found = self.manifest(repository, reference)
        if found is None or not found.is_list:
            return found
        entries = found.platforms
        return self.manifest(repository, entries.get(platform) or next(iter(entries.values())))

    def put_manifest(self, repository: str, reference: str, body: dict[str, Any]) -> str:
        """Store `body` under `reference` (a tag); returns the digest the registry gave it."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        content_type = {"Content-Type": str(body["mediaType"])}
        _, headers = self._send(f"{repository}/manifests/{reference}", content_type, payload)
        lowered = {key.lower(): value for key, value in headers.items()}
        return lowered.get("docker-content-digest") or _digest(payload)

    def config(self, repository: str, manifest: Manifest) -> dict[str, Any]:
        body, _ = self._get(f"{repository}/blobs/{manifest.config_digest}")
        data: dict[str, Any] = json.loads(body)
        return data


def _digest(payload: bytes) -> str:
    return f"sha256:{hashlib.sha256(payload).hexdigest()}"
