"""The Docker Registry HTTP API v2, which ECR speaks: tags, manifests and config blobs."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ragctl.errors import RagctlError

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


@dataclass(frozen=True)
class Manifest:
    digest: str
    body: dict[str, Any]

    @property
    def config_digest(self) -> str:
        return str(self.body["config"]["digest"])

    @property
    def layer_sizes(self) -> list[int]:
        return [int(layer["size"]) for layer in self.body.get("layers", [])]


@dataclass(frozen=True)
class Registry:
    host: str
    user: str
    password: str

    def _get(self, path: str, accept: str = "application/json") -> tuple[bytes, dict[str, str]]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            f"https://{self.host}/v2/{path}",
            headers={"Authorization": f"Basic {token}", "Accept": accept},
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
        return Manifest(lowered["docker-content-digest"], json.loads(body))

    def config(self, repository: str, manifest: Manifest) -> dict[str, Any]:
        body, _ = self._get(f"{repository}/blobs/{manifest.config_digest}")
        data: dict[str, Any] = json.loads(body)
        return data
