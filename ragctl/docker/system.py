"""The engine as a whole: whether it answers, its version, its root and disk use, and
`docker compose` on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragctl.docker.cli import Cli
from ragctl.docker.engine import parse_size
from ragctl.docker.errors import DockerError


class System(Cli):
    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = self._json("info", "--format", "{{json .}}")
        return data

    def answers(self) -> bool:
        """Whether the engine answers at all (a starting rig polls this)."""
        try:
            self.run("info")
        except DockerError:
            return False
        return True

    def server_version(self) -> str:
        """The engine's version; a `DockerError` when it does not answer."""
        return self.run("version", "--format", "{{.Server.Version}}").stdout.strip()

    def platform(self) -> str:
        """The engine's own platform, as builds name it (`linux/amd64`)."""
        text = self.run("version", "--format", "{{.Server.Os}}/{{.Server.Arch}}").stdout
        return text.strip()

    def root_dir(self) -> str:
        return str(self.info().get("DockerRootDir", "/var/lib/docker"))

    def disk_usage(self) -> dict[str, int]:
        """`docker system df`: bytes by type (Images, Containers, Local Volumes, ...)."""
        rows = self._json_lines("system", "df")
        return {row["Type"]: int(parse_size(row["Size"])) for row in rows}

    def image_disk_usage(self) -> list[dict[str, Any]]:
        """`docker system df -v`'s image rows (Size, UniqueSize, one row per tag)."""
        data: Mapping[str, Any] = self._json("system", "df", "-v", "--format", "{{json .}}")
        images: list[dict[str, Any]] = data.get("Images") or []
        return images

    def compose_up(self, directory: Path, service: str) -> None:
        """`docker compose up -d` of one service, with neither a build nor its dependencies,
        as compose.yaml in `directory` describes it."""
        self._compose(directory, "up", "-d", "--no-build", "--no-deps", service)

    def compose_remove(self, directory: Path, service: str) -> None:
        """`docker compose rm`: stop the service's containers and remove them."""
        self._compose(directory, "rm", "--stop", "--force", service)

    def _compose(self, directory: Path, *args: str) -> None:
        self.run("compose", "--project-directory", str(directory), *args, cwd=directory)
