"""Putting one version on one target engine: disk check, pull by digest, health-gated switch,
history, and a prune that can never remove a version the history may roll back to."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragctl import config, docker, retention, targets
from ragctl.containers import Target, replace
from ragctl.errors import RagctlError
from ragctl.output import human_bytes, progress
from ragctl.runner import run

# Room for the compressed download plus the unpacked layers (about 2-3x the download).
DISK_FACTOR = 4


@dataclass(frozen=True)
class Options:
    name: str = config.CONTAINER
    port: int | None = None
    env_file: Path | None = None
    volume: str | None = None
    ready_timeout: float = config.READY_TIMEOUT_S
    keep: int = config.HISTORY_KEEP


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


def free_bytes(engine: docker.Engine, helper_image: str | None) -> int | None:
    """Free space under the target's Docker root; a remote one is measured from a throwaway
    container of an image it already has (None on a remote target with no image yet)."""
    root = docker.root_dir()
    if engine.is_local:
        return docker.root_free_bytes(root)
    if helper_image is None:
        return None
    probe = "import shutil; print(shutil.disk_usage('/r').free)"
    args = ["run", "--rm", "--entrypoint", "python", "-v", f"{root}:/r:ro", helper_image]
    return int(run(docker.cli(*args, "-c", probe)).stdout.strip())


def ensure_image(
    engine: docker.Engine, ref: str, needed: int | None, helper: str | None, pull: Callable[[], Any]
) -> bool:
    """Make `ref` present on the target; True when it had to be pulled."""
    if docker.image_exists(ref):
        return False
    free = free_bytes(engine, helper)
    if needed is not None and free is not None and free < needed:
        raise RagctlError(
            f"{engine.spec}: {human_bytes(free)} free, the image needs about {human_bytes(needed)}",
            hint="free disk on the target (ragctl prune keeps every version in the history)",
        )
    if free is None:
        progress(f"{engine.spec}: no image there yet to measure free disk with; pulling anyway")
    progress(f"{engine.spec}: pulling {ref}")
    pull()
    return True


def prune_outside_history(uri: str, history: list[targets.Deployed]) -> list[str]:
    """Remove this repository's images that no history entry and no container uses."""
    keep = {
        docker.image_inspect(entry.ref)["Id"] for entry in history if docker.image_exists(entry.ref)
    }
    keep |= retention.in_use_image_ids()
    out = run(docker.cli("image", "ls", uri, "--no-trunc", "--format", "{{json .}}")).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    doomed = sorted({row["ID"] for row in rows} - keep)
    for image_id in doomed:
        run(docker.cli("image", "rm", "-f", image_id))
    run(docker.cli("image", "prune", "-f"))
    return doomed


def _target(options: Options, engine: docker.Engine, live: targets.Live) -> Target:
    volume = options.volume or live.volume or config.DEPLOY_VOLUME
    if not engine.is_local and volume.startswith("."):
        raise RagctlError(
            f"--volume {volume} is relative, which means nothing on {engine.spec}",
            hint="give a volume name or an absolute path on the target host",
        )
    port = options.port or live.port or config.PORT
    return Target(options.name, port, options.env_file, volume, options.ready_timeout)


def roll_out(
    engine: docker.Engine,
    version: str,
    ref: str,
    options: Options,
    *,
    needed_bytes: int | None,
    pull: Callable[[], Any],
) -> Outcome:
    started = time.monotonic()
    uri = ref.split("@", 1)[0]
    with docker.on_engine(engine):
        live = targets.live(options.name)
        pulled = ensure_image(engine, ref, needed_bytes, live.running_ref, pull)
        run(docker.cli("tag", ref, f"{uri}:{version}"))  # tagged: never "dangling"
        history = targets.remember(live.history, version, ref, options.keep)
        target = _target(options, engine, live)
        carried = live.env if options.env_file is None else []
        with targets.carried_env(carried) as env_file:
            target = dataclasses.replace(
                target, env_file=options.env_file or env_file, labels=targets.history_label(history)
            )
            gap = replace(target, ref)
        removed = prune_outside_history(uri, history)
    return Outcome(engine.spec, version, ref, pulled, time.monotonic() - started, gap, removed)
