"""Which image versions to keep: the last N, never the running one, never `latest`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ragctl import docker, targets
from ragctl.runner import run


@dataclass(frozen=True)
class ImageTag:
    ref: str
    tag: str
    image_id: str
    created: str
    size: int


def tags(image: str) -> list[ImageTag]:
    """Every tag of `image` on the engine, newest first."""
    out = run(docker.cli("image", "ls", image, "--no-trunc", "--format", "{{json .}}")).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    refs = [f"{image}:{row['Tag']}" for row in rows if row["Tag"] != "<none>"]
    if not refs:
        return []
    # One `docker image inspect` for every tag; it answers in the order asked.
    inspected = json.loads(run(docker.cli("image", "inspect", *refs)).stdout)
    found = [
        ImageTag(ref, ref.rsplit(":", 1)[1], data["Id"], data["Created"], int(data["Size"]))
        for ref, data in zip(refs, inspected, strict=True)
    ]
    return sorted(found, key=lambda t: t.created, reverse=True)


def in_use_image_ids() -> set[str]:
    out = run(docker.cli("ps", "-a", "--no-trunc", "--format", "{{.ID}}")).stdout.split()
    if not out:
        return set()
    inspect = json.loads(run(docker.cli("container", "inspect", *out)).stdout)
    return {c["Image"] for c in inspect}


def to_remove(all_tags: list[ImageTag], keep: int, protected_ids: set[str]) -> list[ImageTag]:
    """Tags beyond the newest `keep` versions whose image nothing protects."""
    versions = [t for t in all_tags if t.tag != "latest"]
    kept_ids = {t.image_id for t in versions[:keep]} | protected_ids
    kept_ids |= {t.image_id for t in all_tags if t.tag == "latest"}
    return [t for t in versions[keep:] if t.image_id not in kept_ids]


def apply(image: str, keep: int) -> list[str]:
    doomed = to_remove(tags(image), keep, in_use_image_ids())
    for tag in doomed:
        run(docker.cli("image", "rm", tag.ref))
    return [t.ref for t in doomed]


def history_image_ids() -> set[str]:
    """Images that some container's deploy history may roll back to: never pruned."""

    names = run(
        docker.cli("ps", "-a", "--filter", "label=rag-api.target", "--format", "{{.Names}}")
    ).stdout.split()
    refs = {entry.ref for name in names for entry in targets.live(name).history}
    return {docker.image_inspect(ref)["Id"] for ref in refs if docker.image_exists(ref)}


def remove_unprotected() -> list[str]:
    """The deep clean's image part: every image no container uses and no history protects."""
    keep = in_use_image_ids() | history_image_ids()
    listed = run(docker.cli("image", "ls", "-q", "--no-trunc")).stdout.split()
    doomed = sorted(set(listed) - keep)
    for image_id in doomed:
        run(docker.cli("image", "rm", "-f", image_id), check=False)
    run(docker.cli("image", "prune", "-f"))
    return doomed


def safe_prune(cache_budget: str) -> None:
    """Dangling images, and build cache beyond `cache_budget`, on the current engine only."""
    run(docker.cli("image", "prune", "-f"))
    run(docker.cli("builder", "prune", "-f", "--keep-storage", cache_budget))
