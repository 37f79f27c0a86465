"""Building the image with BuildKit, tagged with its version and `latest`, step by step; for
several platforms, one build each (others than the engine's own under QEMU), each tagged
`VERSION-ARCH`, the engine's own also `VERSION` and `latest`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragctl import config, disk, platforms
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
    platforms: tuple[str, ...] = ()  # (): the engine's own platform, tagged as one version


@dataclass
class PlatformBuild:
    """One architecture's image of a multi-platform build."""

    platform: str
    ref: str
    seconds: float
    size_bytes: int
    steps: list[Step]

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "ref": self.ref,
            "seconds": round(self.seconds, 2),
            "size_bytes": self.size_bytes,
            "cached_steps": sum(s.status == "cached" for s in self.steps),
            "rebuilt_steps": sum(s.status == "done" for s in self.steps),
        }


@dataclass
class BuildReport:
    image: str
    version: str
    tags: list[str]
    seconds: float
    size_bytes: int
    steps: list[Step] = field(default_factory=list)
    platforms: list[PlatformBuild] = field(default_factory=list)

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
            "platforms": [p.as_dict() for p in self.platforms],
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


def build_spec(
    options: BuildOptions, version: str, platform: str = "", tags: tuple[str, ...] = ()
) -> Build:
    """The `docker buildx build` of `options` for `platform`, tagged `tags` (default: `version`
    and `latest`)."""
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
        tags=tuple(f"{image}:{tag}" for tag in tags or (version, "latest")),
        labels=labels,
        secrets=_ca_secret(options.ca_bundle),
        build_args=build_args,
        cache_from=options.cache_from,
        platform=platform,
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
    if options.platforms:
        return _build_platforms(docker, options, version)
    progress(f"building {options.image}:{version}")
    one = _build_one(docker, build_spec(options, version), f"{options.image}:{version}")
    return BuildReport(
        options.image, version, [version, "latest"], one.seconds, one.size_bytes, one.steps
    )


def _build_platforms(docker: Docker, options: BuildOptions, version: str) -> BuildReport:
    """One build per platform, the engine's own first (an emulated build then finds the
    stages every platform shares, the model export, already in the cache)."""
    native = docker.platform()
    ordered = sorted(options.platforms, key=lambda platform: platform != native)
    done: list[PlatformBuild] = []
    tags: list[str] = []
    for platform in ordered:
        own = (version, "latest") if platform == native else ()
        platform_tags = (platforms.arch_tag(version, platform), *own)
        progress(f"building {options.image}:{platform_tags[0]} for {platform}")
        spec = build_spec(options, version, platform, platform_tags)
        done.append(_build_one(docker, spec, f"{options.image}:{platform_tags[0]}", platform))
        tags += platform_tags
    first = done[0]
    seconds = sum(one.seconds for one in done)
    steps = [step for one in done for step in one.steps]
    return BuildReport(options.image, version, tags, seconds, first.size_bytes, steps, done)


def _build_one(docker: Docker, spec: Build, ref: str, platform: str = "") -> PlatformBuild:
    log = BuildLog()

    def on_line(line: str) -> None:
        step = log.feed(line)
        if step and not step.internal:
            what = "cached " if step.status == "cached" else f"{step.status} {step.seconds:5.1f}s"
            progress(f"{what:>12} [{step.stage}] {step.instruction[:90]}")

    started = time.monotonic()
    docker.buildx_build(spec, on_line=on_line)
    seconds = time.monotonic() - started
    # The model layer exists now: a cache mount an earlier Dockerfile kept for its export
    # (PyTorch's wheels, ~6 GB) serves no build any more.
    disk.drop_earlier_mounts(docker)
    size = int(docker.image_inspect(ref)["Size"])
    return PlatformBuild(platform, ref, seconds, size, log.steps())
