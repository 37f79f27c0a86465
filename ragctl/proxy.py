"""The reverse proxy in front of the service (docker/proxy/): a container of the service's
own image started as `rag-proxy`, which holds the published port. A switch routes new
requests to the next version while the current one finishes those it has (an nginx reload),
so no request meets a closed port. Nothing else to pull: every version's image carries it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ragctl import config
from ragctl.docker import Docker, Run

COMMAND = "rag-proxy"
SUFFIX = "-proxy"  # the proxy of the service container NAME is NAME-proxy
USER = "app"  # nginx runs as the image's unprivileged user, and so must its reloads


def upstream(container: str) -> str:
    """How the proxy reaches a service container: by name, on their shared network."""
    return f"{container}:{config.CONTAINER_PORT}"


@dataclass(frozen=True)
class Proxy:
    docker: Docker
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        state = self.docker.container(self.name)
        return state is not None and state.running

    def start(self, image: str, network: str, port: int, to: str) -> None:
        """Start it on `network`, publishing `port`, routing to the container `to`."""
        self.docker.remove_container(self.name)
        run = Run(
            image,
            name=self.name,
            command=(COMMAND,),
            publish=(f"{port}:{config.CONTAINER_PORT}",),
            restart="unless-stopped",
            labels=dict(self.labels),
            memory="256m",
            network=network,
            env={"RAG_PROXY_UPSTREAM": upstream(to)},
        )
        self.docker.start_container(run)

    def route(self, to: str) -> None:
        """New requests go to the container named `to`, looked up by name each second (a
        restart may give it another address); returns once no request can take the previous
        route any more."""
        self.docker.exec_in(self.name, COMMAND, "route", upstream(to), user=USER)

    def pin(self, to: str, backup: str | None = None) -> None:
        """New requests go to the container `to` at the address it has now, so that renaming
        it loses nothing, and to `backup` only when `to` cannot be reached."""
        targets = [upstream(to), *([upstream(backup)] if backup else [])]
        self.docker.exec_in(self.name, COMMAND, "pin", *targets, user=USER)
