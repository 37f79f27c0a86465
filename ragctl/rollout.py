"""Putting one version on one engine: what `update`, `deploy` and `rollback` all do. Make the
image present (pulling it, after a disk check), switch the service health-gated, record the
version in the service's history, then prune: never a version the history may roll back to."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl import compose, config, retention, service
from ragctl.docker import Docker, Run, local_free_bytes
from ragctl.errors import RagctlError
from ragctl.history import Deployed, history_label, remember
from ragctl.output import human_bytes, progress
from ragctl.switch import ServiceSpec, replace

# Room for the compressed download plus the unpacked layers (about 2-3x the download).
DISK_FACTOR = 4

# Pulls a missing image onto the engine of the client it is given.
Pull = Callable[[Docker], Any]


@dataclass(frozen=True)
class Deployable:
    """A version to run, and where its image is tagged on the engine."""

    repository: str
    version: str
    ref: str  # repository@digest, repository:version or an image ID
    needed_bytes: int | None = None  # room its pull needs, when known


@dataclass(frozen=True)
class RolloutOptions:
    name: str | None = None  # None: the service, whether compose or ragctl started it
    port: int | None = None  # None: the live container's, else 8000
    env_file: Path | None = None  # None: the live container's variables
    volume: str | None = None  # None: the live container's, else `default_volume`
    ready_timeout: float = config.READY_TIMEOUT_S
    keep: int = config.HISTORY_KEEP  # versions in the history, and tagged versions kept
    default_volume: str = config.DEPLOY_VOLUME
    compose_project: str = config.COMPOSE_PROJECT


@dataclass
class Outcome:
    target: str
    version: str
    ref: str
    pulled: bool
    seconds: float
    unserved_seconds: float
    removed_images: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["seconds"] = round(self.seconds, 2)
        data["unserved_seconds"] = round(self.unserved_seconds, 2)
        return data


def free_bytes(docker: Docker, helper_image: str | None) -> int | None:
    """Free space under the engine's Docker root; a remote one is measured from a throwaway
    container of an image it already has (None on a remote engine with no image yet)."""
    root = docker.root_dir()
    if docker.engine.is_local:
        return local_free_bytes(root)
    if helper_image is None:
        return None
    probe = "import shutil; print(shutil.disk_usage('/r').free)"
    volumes = (f"{root}:/r:ro",)
    run = Run(helper_image, entrypoint="python", volumes=volumes, command=("-c", probe))
    return int(docker.run_output(run).strip())


def ensure_image(docker: Docker, wanted: Deployable, helper: str | None, pull: Pull | None) -> bool:
    """Make `wanted` present on the engine; True when it had to be pulled."""
    where = docker.engine.address
    if docker.image_exists(wanted.ref):
        return False
    if pull is None:
        raise RagctlError(
            f"{where}: image {wanted.ref} is not there and has no registry to pull it from",
            hint="build it again (ragctl update), or deploy a version pushed to ECR",
        )
    free = free_bytes(docker, helper)
    needed = wanted.needed_bytes
    if needed is not None and free is not None and free < needed:
        raise RagctlError(
            f"{where}: {human_bytes(free)} free, the image needs about {human_bytes(needed)}",
            hint="free disk on the target (ragctl prune keeps every version in the history)",
        )
    if free is None:
        progress(f"{where}: no image there yet to measure free disk with; pulling anyway")
    progress(f"{where}: pulling {wanted.ref}")
    pull(docker)
    return True


def keep_tagged(docker: Docker, history: list[Deployed]) -> None:
    """Tag a history entry known only by its image ID (a compose-built image, which loses its
    only tag, `latest`, to the next build), so no prune sees it as dangling. Every other entry
    was tagged with its version when it was deployed."""
    for entry in history:
        if entry.ref.startswith("sha256:") and docker.image_exists(entry.ref):
            docker.tag(entry.ref, f"{entry.tag_repository}:{entry.version}")


def _spec(docker: Docker, options: RolloutOptions, live: service.Live) -> ServiceSpec:
    volume = options.volume or live.volume or options.default_volume
    if not docker.engine.is_local and volume.startswith("."):
        raise RagctlError(
            f"--volume {volume} is relative, which means nothing on {docker.engine.address}",
            hint="give a volume name or an absolute path on the target host",
        )
    port = options.port or live.port or config.PORT
    service_image = live.compose.image if live.compose else None
    spec = ServiceSpec(live.name, port, options.env_file, volume, options.ready_timeout)
    spec = dataclasses.replace(spec, networks=live.networks, service_image=service_image)
    if live.proxy or live.compose is None:
        return dataclasses.replace(spec, proxy=live.proxy)
    # A compose service started before compose.yaml had a proxy: one of compose's own.
    compose = live.compose
    return dataclasses.replace(spec, proxy=compose.proxy_name, proxy_labels=compose.proxy_labels())


def _labels(
    docker: Docker, live: service.Live, history: list[Deployed], ref: str
) -> dict[str, str]:
    """The history, and for a compose service compose's labels with the new image's ID."""
    if live.compose is None:
        return history_label(history)
    image_id = docker.image_inspect(ref)["Id"]
    return {**live.compose.labels_for(image_id), **history_label(history)}


def roll_out(
    docker: Docker, wanted: Deployable, options: RolloutOptions, pull: Pull | None
) -> Outcome:
    live = service.find(docker, options.name, options.compose_project)
    return _switch_to(docker, wanted, options, pull, live)


def _switch_to(
    docker: Docker,
    wanted: Deployable,
    options: RolloutOptions,
    pull: Pull | None,
    live: service.Live,
) -> Outcome:
    started = time.monotonic()
    pulled = ensure_image(docker, wanted, live.image_id, pull)
    tagged = f"{wanted.repository}:{wanted.version}"
    docker.tag(wanted.ref, tagged)  # never dangling, and named by its version where it runs
    history = remember(live.history, wanted.version, wanted.ref, options.keep, wanted.repository)
    keep_tagged(docker, history)
    spec = _spec(docker, options, live)
    labels = _labels(docker, live, history, wanted.ref)
    carried = live.env if options.env_file is None else []
    with service.carried_env(carried) as env_file:
        spec = dataclasses.replace(spec, env_file=options.env_file or env_file, labels=labels)
        gap = replace(docker, spec, tagged)
    removed = retention.apply(docker, wanted.repository, options.keep)
    seconds = time.monotonic() - started
    address = docker.engine.address
    return Outcome(address, wanted.version, wanted.ref, pulled, seconds, gap, removed)


def _compose_may_start(docker: Docker, options: RolloutOptions, project: compose.Project) -> bool:
    """Compose starts what compose.yaml describes: the default service, on this machine, with
    the checkout's own volume and .env."""
    env_file = options.env_file in (None, Path(".env"))
    plain = options.name is None and options.volume is None and env_file
    return plain and docker.engine.is_local and project.present


def start_or_roll_out(
    docker: Docker, wanted: Deployable, options: RolloutOptions, project: compose.Project
) -> Outcome:
    """`roll_out`, except that a service not yet running here is started by compose."""
    live = service.find(docker, options.name, project.name)
    if live.exists or not _compose_may_start(docker, options, project):
        return _switch_to(docker, wanted, options, None, live)
    started = time.monotonic()
    tagged = f"{wanted.repository}:{wanted.version}"
    compose.start(docker, project, tagged, options.port, options.ready_timeout)
    removed = retention.apply(docker, wanted.repository, options.keep)
    seconds = time.monotonic() - started
    return Outcome(docker.engine.address, wanted.version, wanted.ref, False, seconds, 0.0, removed)
