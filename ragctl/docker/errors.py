"""Docker's failures, told apart by what the CLI writes on stderr: the object asked for does
not exist, the engine cannot be reached, or something else went wrong.

The difference matters: an inspect of a missing container means "nothing deployed here",
while an engine that is down must never read as that (a deploy would start from scratch)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragctl.errors import CommandError

# Checked first: an unreachable engine's message can name a missing file or host too.
_UNREACHABLE = re.compile(
    "|".join(
        (
            r"cannot connect to the docker daemon",
            r"is the docker daemon running",
            r"error during connect",
            r"failed to connect to the docker api",
            r"permission denied while trying to connect to the docker",
            r"docker\.sock: connect: permission denied",
            r"unable to resolve docker endpoint",
            r'context "[^"]*" does not exist',
        )
    ),
    re.IGNORECASE,
)
_MISSING = re.compile(
    "|".join(
        (
            r"no such (container|image|object|network|volume)",
            r"\b(network|volume|container|image) \S+ not found",
            r"no builder \S+ found",
            r"not found: manifest unknown",
            r"repository does not exist",
        )
    ),
    re.IGNORECASE,
)


class DockerError(CommandError):
    """A docker command failed: its command, exit code, stdout and stderr (exit code 2)."""

    def __init__(
        self, args: Sequence[str], returncode: int, stdout: str, stderr: str, engine: str
    ) -> None:
        super().__init__(args, returncode, stdout, stderr)
        self.engine = engine


# Named for what happened (python-on-whales names its errors so), hence no Error suffix.
class NoSuchObject(DockerError):  # noqa: N818
    """The container, image, network or volume named does not exist on the engine."""


class EngineUnreachable(DockerError):  # noqa: N818
    """No engine answers at the address: down, not there, or this user may not reach it."""

    def __init__(
        self, args: Sequence[str], returncode: int, stdout: str, stderr: str, engine: str
    ) -> None:
        super().__init__(args, returncode, stdout, stderr, engine)
        self.message = f"the Docker engine {engine} is unreachable"
        self.hint = "start dockerd there, or check the address (--target, DOCKER_HOST, context)"
        self.args = (self.message,)


def classify(
    args: Sequence[str], returncode: int, stdout: str, stderr: str, engine: str
) -> DockerError:
    """The error a failed command raises, its kind read from what docker said."""
    said = stderr or stdout
    kind = DockerError
    if _UNREACHABLE.search(said):
        kind = EngineUnreachable
    elif _MISSING.search(said):
        kind = NoSuchObject
    return kind(args, returncode, stdout, stderr, engine)
