"""`ragctl df`: disk use against the budget, as Docker and BuildKit report it."""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Any

from ragctl import config, docker, retention
from ragctl.output import human_bytes, result
from ragctl.runner import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=config.IMAGE)
    parser.add_argument("--keep", type=int, default=config.KEEP_VERSIONS)


def system_df() -> dict[str, dict[str, Any]]:
    out = run(["docker", "system", "df", "--format", "{{json .}}"]).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {
        row["Type"]: {
            "count": int(row.get("TotalCount") or 0),
            "size_bytes": int(docker.parse_size(row["Size"])),
            "reclaimable": row.get("Reclaimable", ""),
        }
        for row in rows
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
        int(docker.parse_size(r.get("Size", "0B")))
        for r in cache_records(verbose_du)
        if r.get("Type") == "exec.cachemount"
    )


def cache_mount_bytes() -> int:
    return cache_mount_bytes_in(run(["docker", "buildx", "du", "--verbose"], check=False).stdout)


def report(image: str, keep: int) -> dict[str, Any]:
    root = docker.root_dir()
    usage = shutil.disk_usage(root)
    versions = [t for t in retention.tags(image) if t.tag != "latest"]
    newest = versions[0].size if versions else 0
    cache_mounts = cache_mount_bytes()
    budget = 2 * newest + cache_mounts
    usage_by_type = system_df()
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


def main(args: argparse.Namespace) -> int:
    data = report(args.image, args.keep)
    lines = [
        f"Docker root {data['docker_root']}: {human_bytes(data['free_bytes'])} free of "
        f"{human_bytes(data['total_bytes'])}"
    ]
    for kind, row in data["system_df"].items():
        lines.append(
            f"  {kind:<14} {row['count']:>4}  {human_bytes(row['size_bytes']):>10}  "
            f"reclaimable {row['reclaimable']}"
        )
    lines.append(f"  uv cache mount      {human_bytes(data['uv_cache_mount_bytes']):>10}")
    verdict = "within" if data["within_budget"] else "OVER"
    lines.append(
        f"Docker uses {human_bytes(data['docker_bytes'])}: {verdict} the budget of "
        f"{human_bytes(data['budget_bytes'])} (2x image + uv cache); "
        f"{len(data['image_versions'])} version(s) kept of {args.image}"
    )
    result(data, "\n".join(lines))
    return 0
