"""Disk accounting: what Docker holds on an engine, as Docker and BuildKit report it, against
the budget (2x the newest image + the uv cache mount)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ragctl import retention
from ragctl.docker import Docker, parse_size


def system_df(docker: Docker) -> dict[str, dict[str, Any]]:
    return {
        row["Type"]: {
            "count": int(row.get("TotalCount") or 0),
            "size_bytes": int(parse_size(row["Size"])),
            "reclaimable": row.get("Reclaimable", ""),
        }
        for row in docker.json_lines("system", "df")
    }


def cache_records(verbose_du: str) -> list[dict[str, str]]:
    """`docker buildx du --verbose` prints one "Key: value" block per cache record."""
    records = []
    for block in verbose_du.strip().split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        records.append({key.strip(): value.strip() for key, value in fields.items()})
    return records


def cache_mount_bytes_in(verbose_du: str) -> int:
    """Size of the BuildKit cache mounts (the uv download cache lives there) in `docker buildx
    du --verbose` output."""
    return sum(
        int(parse_size(r.get("Size", "0B")))
        for r in cache_records(verbose_du)
        if r.get("Type") == "exec.cachemount"
    )


def cache_mount_bytes(docker: Docker) -> int:
    return cache_mount_bytes_in(docker.run("buildx", "du", "--verbose", check=False).stdout)


def report(docker: Docker, image: str, keep: int) -> dict[str, Any]:
    root = docker.root_dir()
    # Measurable from here only on this machine's engines (a remote root is another disk).
    usage = shutil.disk_usage(root if Path(root).exists() else "/")
    versions = [t for t in retention.tags(docker, image) if t.tag != "latest"]
    newest = versions[0].size if versions else 0
    cache_mounts = cache_mount_bytes(docker)
    budget = 2 * newest + cache_mounts
    usage_by_type = system_df(docker)
    docker_total = sum(row["size_bytes"] for row in usage_by_type.values())
    return {
        "docker_root": root,
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "system_df": usage_by_type,
        "uv_cache_mount_bytes": cache_mounts,
        "image_versions": [t.tag for t in versions],
        "newest_image_bytes": newest,
        "docker_bytes": docker_total,
        "budget_bytes": budget,
        "within_budget": docker_total <= budget or not versions,
        "keep_versions": keep,
    }
