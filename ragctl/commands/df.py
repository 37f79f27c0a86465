"""`ragctl df`: disk use against the budget, as Docker and BuildKit report it."""

from __future__ import annotations

import argparse

from ragctl import config, disk
from ragctl.commands.common import add_target_arguments, targets
from ragctl.output import human_bytes, result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=config.image())
    parser.add_argument("--keep", type=int, default=config.HISTORY_KEEP)
    add_target_arguments(parser, many=False)


def main(args: argparse.Namespace) -> int:
    (docker,) = targets(args)
    data = disk.report(docker, args.image, args.keep)
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
