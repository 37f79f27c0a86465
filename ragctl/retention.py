"""Which images stay on an engine: the newest versions, every version a deploy history may roll
back to, whatever a container uses, and `latest`. (Build cache: ragctl/disk.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ragctl import platforms
from ragctl.docker import Docker
from ragctl.history import HISTORY_LABEL, read_history


@dataclass(frozen=True)
class ImageTag:
    ref: str
    tag: str
    image_id: str
    created: str
    size: int


def tags(docker: Docker, image: str) -> list[ImageTag]:
    """Every tag of `image` on the engine, newest first."""
    rows = docker.image_rows(image)
    refs = [f"{image}:{row['Tag']}" for row in rows if row["Tag"] != "<none>"]
    if not refs:
        return []
    # One `docker image inspect` for every tag; it answers in the order asked.
    inspected = docker.images_inspect(*refs)
    found = [
        ImageTag(ref, ref.rsplit(":", 1)[1], data["Id"], data["Created"], int(data["Size"]))
        for ref, data in zip(refs, inspected, strict=True)
    ]
    return sorted(found, key=lambda t: t.created, reverse=True)


def _containers(docker: Docker) -> list[dict[str, Any]]:
    names = docker.container_names()
    return docker.containers_inspect(*names) if names else []


def protected_ids(docker: Docker) -> set[str]:
    """Images a container uses, and images some container's deploy history may roll back
    to: never pruned."""
    containers = _containers(docker)
    refs = set()
    for container in containers:
        labels = container["Config"]["Labels"] or {}
        if HISTORY_LABEL in labels:
            refs |= {entry.ref for entry in read_history(labels)[0]}
    in_use = {str(c["Image"]) for c in containers}
    return in_use | set(docker.image_ids(*refs).values())


def to_remove(all_tags: list[ImageTag], keep: int, protected: set[str]) -> list[ImageTag]:
    """Tags beyond the newest `keep` versions whose image nothing protects (a version's
    architecture tags, `VERSION-ARCH`, count with it)."""
    versions = [t for t in all_tags if t.tag != "latest"]
    newest = list(dict.fromkeys(platforms.version_of(t.tag) for t in versions))[:keep]
    kept_ids = {t.image_id for t in versions if platforms.version_of(t.tag) in newest}
    kept_ids |= protected | {t.image_id for t in all_tags if t.tag == "latest"}
    return [t for t in versions if t.image_id not in kept_ids]


def apply(docker: Docker, image: str, keep: int) -> list[str]:
    """Remove `image`'s versions beyond the newest `keep` that nothing protects, and every
    dangling image; returns the refs removed."""
    doomed = to_remove(tags(docker, image), keep, protected_ids(docker))
    for tag in doomed:
        docker.remove_image(tag.ref)
    docker.prune_dangling_images()
    return [t.ref for t in doomed]


def remove_unprotected(docker: Docker) -> list[str]:
    """The deep clean's image part: every image no container uses and no history protects."""
    keep = protected_ids(docker)
    doomed = sorted(set(docker.all_image_ids()) - keep)
    for image_id in doomed:
        docker.remove_image(image_id, force=True, missing_ok=True)
    docker.prune_dangling_images()
    return doomed


def deep_clean(docker: Docker) -> list[str]:
    """The reference's manual deep clean, minus what a rollback needs: every unprotected
    image and the whole build cache (the uv download cache too)."""
    removed = remove_unprotected(docker)
    docker.builder_prune(everything=True)
    return removed
