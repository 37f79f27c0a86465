"""Building the image with BuildKit, tagged with its version and `latest`, step by step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragctl import config, disk
from ragctl.buildkit import BuildLog, Step
from ragctl.docker import Build, Docker, local_free_bytes
from ragctl.errors import RagctlError
from ragctl.output import human_bytes, progress
from ragctl.version import current_version


@dataclass(frozen=True)
class BuildOptions:
    source: Path = config.ROOT
    image: str = config.IMAGE
    version: str | None = None  # None: the git version of `source`
    ca_bundle: str | None = None
    with_heavy: bool = False
    cache_from: tuple[str, ...] = ()
    min_free_gb: float = config.MIN_FREE_GB
    cache_allowance: str = config.BUILD_CACHE_ALLOWANCE


@dataclass
class BuildReport:
    image: str
    version: str
    tags: list[str]
    seconds: float
    size_bytes: int
    steps: list[Step] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.version}"

    @property
    def packages_prepared(self) -> int:
        """Packages uv downloaded or built: 0 when every one came from its cache."""
        return sum(s.prepared for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "version": self.version,
            "ref": self.ref,
            "tags": self.tags,
            "seconds": round(self.seconds, 2),
            "size_bytes": self.size_bytes,
            "steps": [s.as_dict() for s in self.steps],
            "cached_steps": sum(s.status == "cached" for s in self.steps),
            "rebuilt_steps": sum(s.status == "done" for s in self.steps),
            "packages_prepared": self.packages_prepared,
        }


def ensure_disk(docker: Docker, options: BuildOptions) -> None:
    """Below the floor, apply the safe prune once; still short, refuse with a clear message."""
    root = docker.root_dir()
    min_free_gb = options.min_free_gb
    needed = int(min_free_gb * 1e9)
    if local_free_bytes(root) >= needed:
        return
    progress(
        f"less than {min_free_gb:g} GB free on {root}: pruning dangling images and "
        f"build cache beyond {options.cache_allowance}"
    )
    disk.safe_prune(docker, options.image, options.cache_allowance)
    free = local_free_bytes(root)
    if free < needed:
        raise RagctlError(
            f"only {human_bytes(free)} free on {root}, the build needs {min_free_gb:g} GB",
            hint="free disk, or run `ragctl prune --deep` (the next build starts from scratch)",
        )


def build_spec(options: BuildOptions, version: str) -> Build:
    """The `docker buildx build` of `options`, tagged `version` and `latest`."""
    image = options.image
    labels = {
        config.VERSION_LABEL: version,
        config.REVISION_LABEL: version.split("-")[0],
        config.BUILD_STARTED_LABEL: datetime.now(UTC).isoformat(),
    }
    # Cache metadata in the image itself, so that a pushed image seeds a fresh builder's cache.
    build_args = {"BUILDKIT_INLINE_CACHE": "1"}
    if options.with_heavy:
        build_args["WITH_HEAVY"] = "1"
    return Build(
        context=options.source,
        dockerfile=options.source / "Dockerfile",
        tags=(f"{image}:{version}", f"{image}:latest"),
        labels=labels,
        secrets=_ca_secret(options.ca_bundle),
        build_args=build_args,
        cache_from=options.cache_from,
    )


def _ca_secret(ca_bundle: str | None) -> dict[str, str]:
    if not ca_bundle:
        return {}
    if not Path(ca_bundle).is_file():
        raise RagctlError(f"CA bundle {ca_bundle} does not exist")
    return {"ca_bundle": ca_bundle}


def build(docker: Docker, options: BuildOptions) -> BuildReport:
    ensure_disk(docker, options)
    version = options.version or current_version(options.source)
    log = BuildLog()

    def on_line(line: str) -> None:
        step = log.feed(line)
        if step and not step.internal:
            what = "cached " if step.status == "cached" else f"{step.status} {step.seconds:5.1f}s"
            progress(f"{what:>12} [{step.stage}] {step.instruction[:90]}")

    progress(f"building {options.image}:{version}")
    started = time.monotonic()
    docker.buildx_build(build_spec(options, version), on_line=on_line)
    seconds = time.monotonic() - started
    # The model layer exists now: a cache mount an earlier Dockerfile kept for its export
    # (PyTorch's wheels, ~6 GB) serves no build any more.
    disk.drop_earlier_mounts(docker)
    size = int(docker.image_inspect(f"{options.image}:{version}")["Size"])
    return BuildReport(options.image, version, [version, "latest"], seconds, size, log.steps())
