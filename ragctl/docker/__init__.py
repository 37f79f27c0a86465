"""The one Docker client (see client.py): every Docker command of ragctl, the benchmarks and
the rigs goes through a `Docker` object's typed methods; failures are `DockerError`s of a
kind (`NoSuchObject`, `EngineUnreachable`)."""

from ragctl.docker.builds import Build, BuildCacheRecord, cache_records
from ragctl.docker.client import Docker
from ragctl.docker.containers import ContainerState, Run
from ragctl.docker.engine import Engine, local_free_bytes, parse_size
from ragctl.docker.errors import DockerError, EngineUnreachable, NoSuchObject, classify

__all__ = [
    "Build",
    "BuildCacheRecord",
    "ContainerState",
    "Docker",
    "DockerError",
    "Engine",
    "EngineUnreachable",
    "NoSuchObject",
    "Run",
    "cache_records",
    "classify",
    "local_free_bytes",
    "parse_size",
]
