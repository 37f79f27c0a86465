"""The running rag-api service on an engine, however it was started: by `docker compose`
(project rag-api, service rag-api) or by ragctl (container rag-api), and what it runs with.

A replacement keeps what the live container was started with (volume, port, variables,
networks) and, for a compose service, compose's own labels, so that `docker compose ps`,
`logs`, `restart`, `down` and `up` go on managing it as theirs.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragctl import config
from ragctl.docker import Docker
from ragctl.history import Deployed, read_history, repository_of
from ragctl.proxy import SUFFIX

COMPOSE_PREFIX = "com.docker.compose."
COMPOSE_IMAGE_LABEL = "com.docker.compose.image"  # the image ID compose compares on `up`
# The image compose's service names (e.g. rag-api-rag-api:latest), kept across replacements:
# it must point at what runs, or a later `docker compose up -d` would switch back to it.
SERVICE_IMAGE_LABEL = "rag-api.compose-image"
_DEFAULT_NETWORKS = {"bridge", "host", "none"}


@dataclass(frozen=True)
class Compose:
    """Membership of a compose project: the labels compose finds its containers by."""

    labels: dict[str, str]
    image: str  # the service's image as compose names it

    @property
    def project(self) -> str:
        return self.labels.get(f"{COMPOSE_PREFIX}project", "")

    def labels_for(self, image_id: str) -> dict[str, str]:
        return {**self.labels, COMPOSE_IMAGE_LABEL: image_id, SERVICE_IMAGE_LABEL: self.image}

    def proxy_labels(self) -> dict[str, str]:
        """Compose's labels for a proxy ragctl starts for it (compose.yaml had none when the
        service started): compose then counts it as its proxy service's container."""
        kept = {k: v for k, v in self.labels.items() if not k.endswith("config-hash")}
        return {**kept, f"{COMPOSE_PREFIX}service": config.COMPOSE_PROXY}

    @property
    def proxy_name(self) -> str:
        return f"{self.project}-{config.COMPOSE_PROXY}-1"


@dataclass(frozen=True)
class Live:
    """The service container found on an engine (empty fields when there is none)."""

    name: str
    exists: bool = False
    running: bool = False
    image_id: str | None = None
    volume: str | None = None
    port: int | None = None
    env: list[str] = field(default_factory=list)
    networks: dict[str, list[str]] = field(default_factory=dict)
    history: list[Deployed] = field(default_factory=list)
    # Why the history label could not be read ("" when it could): a damaged label must not
    # read as "no earlier version".
    history_damage: str = ""
    compose: Compose | None = None
    proxy: str = ""  # the proxy container in front of it ("" : none yet)


def compose_container(docker: Docker, project: str) -> str | None:
    """The container of `project`'s rag-api service (not a one-off `compose run`), if any."""
    found = docker.container_names(
        f"label={COMPOSE_PREFIX}project={project}",
        f"label={COMPOSE_PREFIX}service={config.COMPOSE_SERVICE}",
        f"label={COMPOSE_PREFIX}oneoff=False",
    )
    return found[0] if found else None


def find(docker: Docker, name: str | None, project: str = config.COMPOSE_PROJECT) -> Live:
    """The service: with `name`, that container; without, compose's service container of
    `project` if there is one, else ragctl's default container."""
    if name is None:
        name = compose_container(docker, project) or config.CONTAINER
    # After an interrupted switch only `-previous` or `-next` may be left: it still holds the
    # settings.
    container = next(
        filter(None, (docker.container_inspect(name + end) for end in ("", "-previous", "-next"))),
        None,
    )
    if container is None:
        return Live(name)
    live = _live(docker, name, container)
    proxy = proxy_of(docker, name, live.compose)
    if proxy is None:
        return live
    return dataclasses.replace(live, proxy=proxy["Name"].lstrip("/"), port=_port(proxy))


def proxy_of(docker: Docker, name: str, compose: Compose | None) -> dict[str, Any] | None:
    """The proxy in front of the service `name`: compose's proxy service for a compose
    service, else the container NAME-proxy (both, when compose.yaml had none at first)."""
    if compose is not None:
        found = docker.container_names(
            f"label={COMPOSE_PREFIX}project={compose.project}",
            f"label={COMPOSE_PREFIX}service={config.COMPOSE_PROXY}",
            f"label={COMPOSE_PREFIX}oneoff=False",
        )
        if found:
            return docker.container_inspect(found[0])
    return docker.container_inspect(f"{name}{SUFFIX}")


def _live(docker: Docker, name: str, container: dict[str, Any]) -> Live:
    labels: dict[str, str] = container["Config"].get("Labels") or {}
    image = docker.image_inspect(container["Image"])
    history, damage = read_history(labels)
    if not history and not damage:
        history = [_seed(container, image)]
    return Live(
        name,
        exists=True,
        running=container["Name"].lstrip("/") == name and bool(container["State"]["Running"]),
        image_id=container["Image"],
        volume=_volume(container),
        port=_port(container),
        env=_user_env(container, image),
        networks=_networks(container),
        history=history,
        history_damage=damage,
        compose=_compose(container, labels),
    )


def _seed(container: dict[str, Any], image: dict[str, Any]) -> Deployed:
    """A container no ragctl command started (compose, or a plain `docker run`): its image is
    the first entry of the history, so that a rollback can return to it."""
    ref = container["Config"]["Image"]
    repository = repository_of(ref)
    tag = ref.removeprefix(repository).removeprefix(":") if "@" not in ref else ""
    labels = image["Config"].get("Labels") or {}
    version = labels.get(config.VERSION_LABEL) or (
        tag if tag and tag != "latest" else f"image-{image['Id'].removeprefix('sha256:')[:12]}"
    )
    started = container["Created"]
    return Deployed(version, image["Id"], _timestamp(started), repository)


def _timestamp(created: str) -> float:
    """Docker's RFC 3339 time (nanoseconds, UTC) as a Unix timestamp."""
    try:
        moment = datetime.fromisoformat(created[:26].rstrip("Z"))
        return moment.replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0


def _volume(container: dict[str, Any]) -> str | None:
    mounts = [m for m in container["Mounts"] if m["Destination"] == config.CONTAINER_DATA]
    if not mounts:
        return None
    return str(mounts[0].get("Name") if mounts[0]["Type"] == "volume" else mounts[0]["Source"])


def _port(container: dict[str, Any]) -> int | None:
    bindings = (container["HostConfig"].get("PortBindings") or {}).get("8000/tcp") or []
    return int(bindings[0]["HostPort"]) if bindings and bindings[0].get("HostPort") else None


def _user_env(container: dict[str, Any], image: dict[str, Any]) -> list[str]:
    """The variables given at `docker run` (the env file), not the image's own ENV."""
    own = set(image["Config"].get("Env") or [])
    return [line for line in container["Config"].get("Env") or [] if line not in own]


def _networks(container: dict[str, Any]) -> dict[str, list[str]]:
    """User-defined networks and the aliases the container answers to on each (a compose
    network, or one an operator attached the service to, to reach its database)."""
    # Not its own name either: the next version answers to it only once this one is gone.
    own = {container["Id"][:12], container["Name"].lstrip("/")}
    found = (container.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        network: [a for a in (settings.get("Aliases") or []) if a not in own]
        for network, settings in found.items()
        if network not in _DEFAULT_NETWORKS
    }


def _compose(container: dict[str, Any], labels: dict[str, str]) -> Compose | None:
    if f"{COMPOSE_PREFIX}project" not in labels:
        return None
    kept = {
        key: value
        for key, value in labels.items()
        if key.startswith(COMPOSE_PREFIX) and key != COMPOSE_IMAGE_LABEL
    }
    return Compose(kept, labels.get(SERVICE_IMAGE_LABEL) or container["Config"]["Image"])


@contextmanager
def carried_env(lines: list[str]) -> Iterator[Path | None]:
    """The live container's variables as a private env file for its successor, deleted after."""
    if not lines:
        yield None
        return
    descriptor, name = tempfile.mkstemp(prefix="ragctl-env-", text=True)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write("".join(f"{line}\n" for line in lines))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
