"""`ragctl doctor`: the reference's troubleshooting list as checks with verdicts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ragctl import config
from ragctl.commands.common import add_target_arguments, targets
from ragctl.disk import build_cache, runtime_cache_bytes
from ragctl.docker import Docker, DockerError, local_free_bytes
from ragctl.errors import RagctlError
from ragctl.output import Report, human_bytes


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # ok, warn, fail
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class Options:
    docker: Docker
    min_free_gb: float
    base_image: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-free-gb", type=float, default=config.MIN_FREE_GB)
    parser.add_argument("--base-image", default=config.BASE_IMAGE)
    add_target_arguments(parser, many=False)


def _engine(options: Options) -> Check:
    try:
        version = options.docker.server_version()
    except DockerError:
        return Check(
            "engine",
            "fail",
            "the Docker engine does not answer",
            "start dockerd (or check DOCKER_HOST)",
        )
    return Check("engine", "ok", f"Docker engine {version}")


def _buildkit(options: Options) -> Check:
    try:
        driver = options.docker.builder_driver()
    except DockerError:
        return Check(
            "buildkit", "fail", "docker buildx is missing", "install the buildx CLI plugin"
        )
    return Check("buildkit", "ok", f"BuildKit through buildx (driver {driver})")


def _cache(options: Options) -> Check:
    size = runtime_cache_bytes(build_cache(options.docker))
    if size == 0:
        return Check(
            "build cache",
            "warn",
            "no runtime uv cache in the builder yet",
            "the next build downloads every package; later ones reuse them",
        )
    return Check("build cache", "ok", f"the runtime uv cache holds {human_bytes(size)}")


def _disk(options: Options) -> Check:
    root = options.docker.root_dir()
    free = local_free_bytes(root)
    if free < options.min_free_gb * 1e9:
        return Check(
            "disk",
            "fail",
            f"{human_bytes(free)} free on {root}",
            "run `ragctl prune`, then `ragctl prune --deep` if still short",
        )
    return Check("disk", "ok", f"{human_bytes(free)} free on {root}")


def _base_image(options: Options) -> Check:
    base = options.base_image
    if options.docker.image_exists(base):
        return Check("base image", "ok", f"{base} is present")
    return Check(
        "base image",
        "warn",
        f"{base} is not present locally",
        f"the next build pulls it (`docker pull {base}`)",
    )


CHECKS: list[Callable[[Options], Check]] = [
    _engine,
    _buildkit,
    _cache,
    _disk,
    _base_image,
]


def options(args: argparse.Namespace) -> Options:
    (docker,) = targets(args)
    return Options(docker, args.min_free_gb, args.base_image)


def main(args: argparse.Namespace) -> Report:
    return run(options(args))


def run(options: Options) -> Report:
    checks = []
    for check in CHECKS:
        try:
            checks.append(check(options))
        except RagctlError as exc:
            checks.append(Check(check.__name__.strip("_"), "fail", exc.message, exc.hint))
        if checks[0].verdict == "fail":
            break  # nothing else can be checked without an engine
    lines = [
        f"{c.verdict.upper():<5} {c.name:<12} {c.detail}" + (f"  -> {c.hint}" if c.hint else "")
        for c in checks
    ]
    failed = any(c.verdict == "fail" for c in checks)
    data = {"checks": [asdict(c) for c in checks], "ok": not failed}
    return Report(data, "\n".join(lines), 1 if failed else 0)
