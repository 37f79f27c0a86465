"""`ragctl df`: every byte Docker holds, as needed by rag-api (against the budget), reclaimable
(with the command), or not rag-api's; see ragctl/disk.py."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from ragctl import config, disk
from ragctl.commands.common import add_cache_allowance, add_target_arguments, targets
from ragctl.docker import Docker
from ragctl.output import Report, human_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=config.image())
    parser.add_argument("--keep", type=int, default=config.HISTORY_KEEP)
    add_cache_allowance(parser)
    add_target_arguments(parser, many=False)


def _part_line(part: dict[str, Any]) -> str:
    line = f"  {part['name']:<44} {human_bytes(part['bytes']):>10}"
    return f"{line}  {part['reclaim']}" if part["reclaim"] else line


def _verdict(data: dict[str, Any]) -> str:
    used, budget = human_bytes(data["used_bytes"]), human_bytes(data["budget_bytes"])
    if data["within_budget"]:
        return f"{data['image']} uses {used}: within its budget of {budget}"
    reclaim = human_bytes(data["reclaimable_bytes"])
    return (
        f"{data['image']} uses {used}: OVER its budget of {budget}; {disk.PRUNE} reclaims {reclaim}"
    )


@dataclass(frozen=True)
class Options:
    docker: Docker
    image: str
    keep: int
    cache_allowance: str


def options(args: argparse.Namespace) -> Options:
    (docker,) = targets(args)
    return Options(docker, args.image, args.keep, args.cache_allowance)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(options: Options) -> Report:
    data = disk.report(options.docker, options.image, options.keep, options.cache_allowance)
    lines = [
        f"Docker root {data['docker_root']}: {human_bytes(data['free_bytes'])} free of "
        f"{human_bytes(data['total_bytes'])}; Docker holds {human_bytes(data['docker_bytes'])}",
        f"budget: the versions kept and their containers + the runtime uv cache + "
        f"{human_bytes(data['allowance_bytes'])} of build cache (--cache-allowance)",
    ]
    for kind in (disk.NEEDED, disk.RECLAIMABLE, disk.OTHER):
        lines.append(f"{kind}:")
        lines += [_part_line(p) for p in data["parts"] if p["kind"] == kind]
    lines.append(_verdict(data))
    return Report(data, "\n".join(lines))
