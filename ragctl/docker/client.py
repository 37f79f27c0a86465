"""`Docker`: every typed method of the client, on one engine."""

from __future__ import annotations

from dataclasses import dataclass

from ragctl.docker.builds import Builds
from ragctl.docker.containers import Containers
from ragctl.docker.engine import Engine
from ragctl.docker.images import Images
from ragctl.docker.system import System


@dataclass(frozen=True)
class Docker(Images, Containers, Builds, System):
    """The one Docker client: the docker CLI against one engine, named when it is made, so
    the engine a command talks to is always explicit (no environment or module state
    decides it)."""

    @classmethod
    def at(cls, address: str) -> Docker:
        return cls(Engine(address))
