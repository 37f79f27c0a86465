"""Disk accounting: every byte Docker holds on an engine, as Docker and BuildKit report it, in
one of three kinds:

- what rag-api needs, counted against the budget: the image versions kept, the runtime's uv
  cache (a light dependency change downloads nothing it holds) and the layer cache the next
  build reuses, up to a stated allowance;
- what can go, each with the command that removes it: versions beyond --keep, dangling
  images, build cache beyond the allowance, any other cache mount (a former build's);
- what is not rag-api's to judge: other images, and volumes (data: never pruned).

The budget is the images kept and their containers + the runtime's uv cache + the allowance."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ragctl import config, retention
from ragctl.docker import BuildCacheRecord, Docker, parse_size
from ragctl.docker import cache_records as cache_records  # parsed by the client

# The Dockerfile's cache mount for the runtime's uv (its `target=`): the one kept.
RUNTIME_UV_CACHE = "/root/.cache/rag-uv-runtime"
# Cache mounts of earlier rag-api builds (the one the export and the runtime shared, holding
# PyTorch's wheels), known by the commands that made them: BuildKit records carry no label.
EARLIER_MOUNT_COMMANDS = ("model_export --out /opt/model", "uv sync --frozen --no-install-project")
# An image without the build-started label (an older ragctl's): its build is taken to have
# started up to this long before the image's creation time.
BUILD_MARGIN_S = 3600
PRUNE = "ragctl prune"


@dataclass(frozen=True)
class CacheRecord(BuildCacheRecord):
    """A BuildKit cache record, as rag-api's builds use it."""

    @property
    def mount(self) -> bool:
        return self.type == "exec.cachemount"

    @property
    def runtime_uv_cache(self) -> bool:
        return self.mount and self.description.startswith(f"cached mount {RUNTIME_UV_CACHE} ")

    @property
    def earlier_mount(self) -> bool:
        """A cache mount an earlier rag-api build made, which no build uses any more."""
        mine = any(command in self.description for command in EARLIER_MOUNT_COMMANDS)
        return self.mount and not self.runtime_uv_cache and mine


NEEDED, RECLAIMABLE, OTHER = "needed", "reclaimable", "not rag-api's"


@dataclass(frozen=True)
class Part:
    """A share of Docker's disk, of one kind; what can go says which command removes it."""

    name: str
    bytes: int
    kind: str
    reclaim: str = ""


def build_cache(docker: Docker) -> list[CacheRecord]:
    return [CacheRecord(**asdict(record)) for record in docker.build_cache()]


def runtime_cache_bytes(records: list[CacheRecord]) -> int:
    return sum(r.size for r in records if r.runtime_uv_cache)


def _unique(row: dict[str, Any]) -> int:
    return int(parse_size(row.get("UniqueSize") or "0B"))


def kept_images_bytes(rows: list[dict[str, Any]]) -> int:
    """The largest image in full, the others by the layers only they hold (shared layers
    once)."""
    if not rows:
        return 0
    sizes = sorted((int(parse_size(r["Size"])), _unique(r)) for r in rows)
    return sizes[-1][0] + sum(unique for _, unique in sizes[:-1])


def _image_parts(docker: Docker, image: str, keep: int, all_images: int) -> list[Part]:
    rows = {r["ID"]: r for r in docker.image_disk_usage()}  # one row per tag: several share an ID
    ours = retention.tags(docker, image)
    doomed = {t.image_id for t in retention.to_remove(ours, keep, retention.protected_ids(docker))}
    ours_ids = {t.image_id for t in ours}
    kept = [rows[i] for i in ours_ids - doomed if i in rows]
    old = [rows[i] for i in doomed if i in rows]
    dangling = [r for i, r in rows.items() if r["Repository"] == "<none>" and i not in ours_ids]
    parts = [
        Part(f"{len(kept)} version(s) kept", kept_images_bytes(kept), NEEDED),
        Part(f"{len(old)} version(s) beyond --keep {keep}", _uniques(old), RECLAIMABLE, PRUNE),
        Part(f"dangling images ({len(dangling)})", _uniques(dangling), RECLAIMABLE, PRUNE),
    ]
    others = len(rows) - len(kept) - len(old) - len(dangling)
    # What Docker counts for all images, less ours: layers only other images hold.
    rest = max(all_images - sum(p.bytes for p in parts), 0)
    return [*parts, Part(f"other images ({others})", rest, OTHER, "docker image rm IMAGE")]


def _uniques(rows: list[dict[str, Any]]) -> int:
    return sum(_unique(r) for r in rows)


def cache_parts(records: list[CacheRecord], allowance: int) -> list[Part]:
    layers = sum(r.size for r in records if not r.mount and not r.shared)
    earlier = [r for r in records if r.earlier_mount]
    others = [r for r in records if r.mount and not r.runtime_uv_cache and not r.earlier_mount]
    return [
        Part("runtime uv cache", runtime_cache_bytes(records), NEEDED),
        Part("build cache the next build reuses", min(layers, allowance), NEEDED),
        Part("build cache beyond the allowance", max(layers - allowance, 0), RECLAIMABLE, PRUNE),
        Part(
            f"earlier builds' cache mounts ({len(earlier)})",
            sum(r.size for r in earlier),
            RECLAIMABLE,
            PRUNE,
        ),
        Part(
            f"other cache mounts ({len(others)})",
            sum(r.size for r in others),
            OTHER,
            "docker builder prune --filter id=ID",
        ),
    ]


def _total(parts: list[Part], *kinds: str) -> int:
    return sum(p.bytes for p in parts if p.kind in kinds)


def report(docker: Docker, image: str, keep: int, allowance: str) -> dict[str, Any]:
    root = docker.root_dir()
    # Measurable from here only on this machine's engines (a remote root is another disk).
    usage = shutil.disk_usage(root if Path(root).exists() else "/")
    allowed = int(parse_size(allowance))
    records = build_cache(docker)
    system = docker.disk_usage()
    images = _image_parts(docker, image, keep, system.get("Images", 0))
    containers = Part("containers (their own layers)", system.get("Containers", 0), NEEDED)
    parts = [
        *images,
        containers,
        *cache_parts(records, allowed),
        Part("volumes (data: never pruned)", system.get("Local Volumes", 0), OTHER),
    ]
    used = _total(parts, NEEDED, RECLAIMABLE)
    budget = images[0].bytes + containers.bytes + runtime_cache_bytes(records) + allowed
    return {
        "docker_root": root,
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "image": image,
        "parts": [asdict(p) for p in parts],
        "docker_bytes": _total(parts, NEEDED, RECLAIMABLE, OTHER),
        "used_bytes": used,
        "reclaimable_bytes": _total(parts, RECLAIMABLE),
        "budget_bytes": budget,
        "allowance_bytes": allowed,
        "within_budget": used <= budget,
        "keep_versions": keep,
    }


def drop_earlier_mounts(docker: Docker) -> list[CacheRecord]:
    """Remove the cache mounts earlier rag-api builds made (no build uses them now); returns
    the records that remain."""
    records = build_cache(docker)
    for record in records:
        if record.earlier_mount:
            docker.builder_prune(record_id=record.id)
    return [r for r in records if not r.earlier_mount]


def prune_build_cache(docker: Docker, allowance: str, last_build: datetime | None) -> None:
    """Build cache beyond the allowance, never the runtime's uv cache nor a layer the last
    build used (the next code-only or light build finds all it needs): earlier builds' cache
    mounts go, then layers no build has used since `last_build` started, least recently used
    first."""
    records = drop_earlier_mounts(docker)
    if last_build is None:
        return  # no build to tell what the next one needs: no layer is removed
    unused_s = max(int((datetime.now(UTC) - last_build).total_seconds()), 1)
    keep = int(parse_size(allowance)) + runtime_cache_bytes(records)
    docker.builder_prune(record_type="regular", unused_for_s=unused_s, keep_storage=keep)


def last_build_start(docker: Docker, image: str) -> datetime | None:
    """When the build of `image`'s newest version started (None: no version yet)."""
    versions = [t for t in retention.tags(docker, image) if t.tag != "latest"]
    if not versions:
        return None
    labels = docker.image_inspect(versions[0].ref)["Config"].get("Labels") or {}
    started = labels.get(config.BUILD_STARTED_LABEL)
    if started:
        return datetime.fromisoformat(started)
    return datetime.fromisoformat(versions[0].created) - timedelta(seconds=BUILD_MARGIN_S)


def safe_prune(docker: Docker, image: str, allowance: str) -> None:
    """Dangling images, and build cache beyond the allowance, on this client's engine only:
    nothing that makes the next code-only or light dependency build download again."""
    docker.prune_dangling_images()
    prune_build_cache(docker, allowance, last_build_start(docker, image))
