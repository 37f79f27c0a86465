"""Images on the engine: inspect, list, tag, remove, prune, and moving them to and from
registries and other engines."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragctl.docker.cli import Cli
from ragctl.docker.errors import DockerError, EngineUnreachable, NoSuchObject, classify
from ragctl.errors import RagctlError


class Images(Cli):
    def image_exists(self, ref: str) -> bool:
        try:
            self.run("image", "inspect", ref)
        except NoSuchObject:
            return False
        return True

    def image_inspect(self, ref: str) -> dict[str, Any]:
        """The image's `docker image inspect` data; a clear error when it is not there."""
        try:
            data: dict[str, Any] = self._json("image", "inspect", ref)[0]
        except EngineUnreachable:
            raise
        except DockerError as exc:
            where = self.engine.address
            raise RagctlError(
                f"no image {ref!r} on {where}", hint="build or pull it first"
            ) from exc
        return data

    def images_inspect(self, *refs: str) -> list[dict[str, Any]]:
        """One `docker image inspect` for every ref, in the order asked; each must exist."""
        found: list[dict[str, Any]] = self._json("image", "inspect", *refs)
        return found

    def image_ids(self, *refs: str) -> dict[str, str]:
        """The image ID of each ref that exists."""
        ids = {}
        for ref in refs:
            try:
                ids[ref] = str(self._json("image", "inspect", ref)[0]["Id"])
            except NoSuchObject:
                continue
        return ids

    def image_rows(self, repository: str) -> list[dict[str, Any]]:
        """`docker image ls REPOSITORY` rows (Tag, ID, ...), IDs in full."""
        return self._json_lines("image", "ls", repository, "--no-trunc")

    def all_image_ids(self) -> list[str]:
        """The full ID of every image on the engine (one per tag)."""
        return self.run("image", "ls", "-q", "--no-trunc").stdout.split()

    def tag(self, source: str, ref: str) -> None:
        self.run("tag", source, ref)

    def remove_image(self, ref: str, force: bool = False, missing_ok: bool = False) -> None:
        """Remove a tag (or, by ID, an image). With `missing_ok`, a failure other than an
        unreachable engine is ignored (an image in use, already gone)."""
        args = ["image", "rm", *(["-f"] if force else []), ref]
        if missing_ok:
            self._run_tolerant(*args)
        else:
            self.run(*args)

    def prune_dangling_images(self) -> None:
        self.run("image", "prune", "-f")

    def pull(self, ref: str, platform: str = "") -> None:
        """Pull `ref`; from a manifest list, the engine's own platform's image unless
        `platform` names another."""
        self.run("pull", *(["--platform", platform] if platform else []), ref)

    def push(self, ref: str, on_line: Callable[[str], None] | None = None) -> None:
        self.run("push", ref, on_line=on_line)

    def login(self, registry: str, user: str, password: str) -> None:
        """Log the client's Docker config in, the password on stdin (never in argv)."""
        self.run("login", "--username", user, "--password-stdin", registry, stdin=password)

    def save(self, image: str, archive: Path) -> None:
        self.run("save", "-o", str(archive), image)

    def copy_image_to(self, other: Cli, image: str) -> None:
        """`docker save IMAGE | docker load` from this engine onto `other`'s."""
        source, sink = self.argv("save", image), other.argv("load")
        with subprocess.Popen(source, stdout=subprocess.PIPE, env=self.env) as out:
            done = subprocess.run(sink, stdin=out.stdout, capture_output=True, env=other.env)
        stderr = done.stderr.decode(errors="replace")
        for args, code, where in (
            (source, out.returncode, self.where),
            (sink, done.returncode, other.where),
        ):
            if code != 0:
                raise classify(args, code, "", stderr, where)
