"""Building with BuildKit through buildx, and the build cache it keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ragctl.docker.cli import Cli
from ragctl.docker.engine import parse_size
from ragctl.docker.errors import DockerError, EngineUnreachable


@dataclass(frozen=True)
class Build:
    """What `docker buildx build --load` is given, option by option. `secrets` maps a
    secret's id to the file it is read from (never baked into a layer)."""

    context: Path
    dockerfile: Path
    tags: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    build_args: Mapping[str, str] = field(default_factory=dict)
    cache_from: tuple[str, ...] = ()
    target: str = ""  # a stage to stop at ("": the last)
    platform: str = ""  # "": the engine's own; another runs under emulation (QEMU)

    def options(self) -> list[str]:
        args = ["--progress=plain", "--load", "-f", str(self.dockerfile)]
        args += ["--target", self.target] if self.target else []
        args += ["--platform", self.platform] if self.platform else []
        args += [arg for tag in self.tags for arg in ("-t", tag)]
        args += [arg for key, value in self.labels.items() for arg in ("--label", f"{key}={value}")]
        args += [
            arg for key, src in self.secrets.items() for arg in ("--secret", f"id={key},src={src}")
        ]
        args += [arg for k, v in self.build_args.items() for arg in ("--build-arg", f"{k}={v}")]
        args += [arg for cache in self.cache_from for arg in ("--cache-from", cache)]
        return [*args, str(self.context)]


@dataclass(frozen=True)
class BuildCacheRecord:
    """One BuildKit cache record, as `docker buildx du --verbose` lists it."""

    id: str
    type: str
    size: int
    description: str
    shared: bool


def cache_records(verbose_du: str) -> list[dict[str, str]]:
    """`docker buildx du --verbose` prints one "Key: value" block per cache record."""
    records = []
    for block in verbose_du.strip().split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        records.append({key.strip(): value.strip() for key, value in fields.items()})
    return records


def _record(fields: dict[str, str]) -> BuildCacheRecord:
    return BuildCacheRecord(
        fields["ID"],
        fields.get("Type", ""),
        int(parse_size(fields.get("Size", "0B"))),
        fields.get("Description", ""),
        fields.get("Shared", "false") == "true",
    )


class Builds(Cli):
    def buildx_build(self, build: Build, on_line: Callable[[str], None] | None = None) -> None:
        """Build and load into the engine; with `on_line`, BuildKit's plain progress lines
        as they come."""
        self.run("buildx", "build", *build.options(), on_line=on_line)

    def builder_driver(self) -> str:
        """The driver of the current buildx builder ("?" when it names none); a `DockerError`
        when buildx is missing or failing."""
        out = self.run("buildx", "inspect").stdout
        drivers = (
            line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Driver:")
        )
        return next(drivers, "?")

    def build_cache(self) -> list[BuildCacheRecord]:
        """Every BuildKit cache record; none when buildx cannot list them (an unreachable
        engine still raises)."""
        try:
            out = self.run("buildx", "du", "--verbose").stdout
        except EngineUnreachable:
            raise
        except DockerError:
            return []
        return [_record(fields) for fields in cache_records(out) if "ID" in fields]

    def builder_prune(
        self,
        *,
        everything: bool = False,
        record_id: str | None = None,
        record_type: str | None = None,
        unused_for_s: int | None = None,
        keep_storage: int | None = None,
    ) -> None:
        """`docker builder prune -f`: every record (`everything`), or those the filters
        match, down to `keep_storage` bytes."""
        args = ["-a", "-f"] if everything else ["-f"]
        args += ["--filter", f"id={record_id}"] if record_id else []
        args += ["--filter", f"type={record_type}"] if record_type else []
        args += ["--filter", f"until={unused_for_s}s"] if unused_for_s is not None else []
        args += ["--keep-storage", str(keep_storage)] if keep_storage is not None else []
        self.run("builder", "prune", *args)
