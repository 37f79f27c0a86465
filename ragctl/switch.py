"""Health-gated replacement of the service's container on one engine, behind the proxy that
holds its port (ragctl/proxy.py): the next version starts beside the serving one on the same
storage (standing by: src/store/sqlite/owner.py) and must answer /ready; then new requests
are routed to it, the serving one finishes those it has and stops, and the next one owns the
store. No request meets a closed port.

A version that cannot share the store (a migration, an index to rebuild: it exits with
EXIT_STANDBY_REFUSED) replaces the serving one after it has stopped; the proxy answers 503
for the seconds between. So does the first switch on an engine where the service container
still publishes the port itself, which the proxy then takes over."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ragctl import config
from ragctl.docker import Docker, Run
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.proxy import SUFFIX, Proxy

NEXT = "-next"
PREVIOUS = "-previous"
DRAIN_S = 60  # the most seconds the serving version has to finish the requests it has
EXIT_STANDBY_REFUSED = 75  # main.py's: the store cannot be shared with the serving version
_STANDBY_PROBE = (
    "import json, urllib.request as r; "
    "print(json.load(r.urlopen('http://127.0.0.1:8000/ready', timeout=2)).get('standby'))"
)


@dataclass(frozen=True)
class ServiceSpec:
    """How the service's container is started."""

    name: str = config.CONTAINER
    port: int = config.PORT
    env_file: Path | None = None
    # A named volume, or a directory on the engine's host (absolute, or relative to here).
    volume: str = str(config.DATA_DIR)
    ready_timeout: float = config.READY_TIMEOUT_S
    labels: dict[str, str] = field(default_factory=dict)  # the serving container's only
    networks: dict[str, list[str]] = field(default_factory=dict)  # network -> aliases
    # Moved to the new image once it serves (compose's service image, see service.py).
    service_image: str | None = None
    proxy: str = ""  # the proxy container ("": NAME-proxy)
    proxy_labels: dict[str, str] = field(default_factory=dict)  # compose's, for its service

    @property
    def proxy_name(self) -> str:
        return self.proxy or f"{self.name}{SUFFIX}"

    @property
    def network(self) -> str:
        """The network the proxy reaches the service on."""
        return next(iter(self.networks), config.NETWORK)

    def mount(self) -> str:
        source = self.volume
        if "/" in source or source.startswith("."):
            source = str(Path(source).resolve())
        return f"{source}:{config.CONTAINER_DATA}"


def run_spec(spec: ServiceSpec, image: str, name: str) -> Run:
    """The reference's `docker run`, minus the port (the proxy's). No restart policy until
    it serves: a crash while it starts stops it, and the switch sees why."""
    network, aliases = next(iter(spec.networks.items()), (config.NETWORK, []))
    return Run(
        image,
        name=name,
        labels=spec.labels,
        volumes=(spec.mount(),),
        # One container cannot take the host, however it was started (compose sets the same).
        memory=config.memory_limit(),
        network=network,
        network_aliases=tuple(aliases),
        env_file=_existing(spec.env_file),
    )


def _existing(env_file: Path | None) -> Path | None:
    if env_file is not None and not env_file.is_file():
        raise RagctlError(
            f"env file {env_file} does not exist",
            hint="create it from .env.example, or leave out --env-file",
        )
    return env_file


@dataclass(frozen=True)
class Started:
    ready: bool
    logs: str = ""
    refused: bool = False  # it cannot share the store with the serving version


@dataclass(frozen=True)
class Switch:
    """One replacement of `spec.name` on `docker`'s engine."""

    docker: Docker
    spec: ServiceSpec

    @property
    def proxy(self) -> Proxy:
        return Proxy(self.docker, self.spec.proxy_name, self.spec.proxy_labels)

    def check_port_owner(self) -> None:
        port, docker, spec = self.spec.port, self.docker, self.spec
        names = docker.container_names(f"publish={port}", stopped=False)
        others = [name for name in names if name not in (spec.name, spec.proxy_name)]
        if others:
            raise RagctlError(
                f"port {port} is already published by {', '.join(others)}",
                hint="stop it, or use --port",
            )

    def start_and_wait(self, image: str, name: str) -> Started:
        self.docker.remove_container(name)
        self.docker.start_container(run_spec(self.spec, image, name))
        for network, aliases in list(self.spec.networks.items())[1:]:
            self.docker.connect_network(network, name, tuple(aliases))
        if self.docker.wait_container_ready(name, self.spec.ready_timeout):
            return Started(True)
        refused = self.docker.exit_code(name) == EXIT_STANDBY_REFUSED
        return Started(False, self.docker.logs_tail(name), refused)

    def serving(self, name: str) -> None:
        """`name` is the service now: it is restarted if it stops, and the proxy's route."""
        self.docker.set_restart(name, "unless-stopped")
        self.proxy.route(name)

    def wait_owner(self, name: str) -> None:
        """Until `name` owns the store (the version it stood beside has exited)."""
        deadline = time.monotonic() + self.spec.ready_timeout
        while time.monotonic() < deadline:
            said = self.docker.try_exec(name, "python", "-c", _STANDBY_PROBE)
            if said is not None and said.strip() == "False":
                return
            time.sleep(0.2)
        progress(f"{name} still stands by after {self.spec.ready_timeout:g}s; it serves anyway")


def _refuse(image: str, why: str, logs: str) -> RagctlError:
    return RagctlError(
        f"{image} {why}; the running version was kept",
        hint="fix the image and retry; its last log lines follow",
        details=logs,
    )


def replace(docker: Docker, spec: ServiceSpec, image: str) -> float:
    """Serve `image` as `spec.name` once it has proven it gets ready; returns the seconds no
    version answered (0 but for the cases in the module's docstring)."""
    switch = Switch(docker, spec)
    switch.check_port_owner()
    docker.ensure_network(spec.network)
    old = docker.container(spec.name)
    live = old is not None and old.running
    if live and switch.proxy.running:
        switch.proxy.route(spec.name)  # by its name: the next one may answer to its aliases
    following = spec.name + NEXT
    progress(f"starting {image} beside the serving version (waiting up to {spec.ready_timeout:g}s)")
    started = switch.start_and_wait(image, following)
    if not started.ready:
        docker.remove_container(following)
        if not (started.refused and live):
            raise _refuse(image, "never got ready", started.logs)
        progress(f"{image} cannot share the store with the serving version: stopping it first")
        return _stop_then_start(switch, image, old.image_id if old else None)
    if spec.service_image:
        docker.tag(image, spec.service_image)
    return _hand_over(switch, image, following, live)


def _hand_over(switch: Switch, image: str, following: str, live: bool) -> float:
    docker, spec, proxy = switch.docker, switch.spec, switch.proxy
    docker.signal(following, "SIGUSR2")  # catch up with what the serving one wrote meanwhile
    progress(f"switching {spec.name} to {image}")
    gap, drained = 0.0, time.monotonic()
    if proxy.running:
        proxy.pin(following, backup=spec.name if live else None)
        docker.stop_container(spec.name, timeout=DRAIN_S, missing_ok=True)
    else:  # the serving container holds the port itself, until the proxy takes it
        docker.stop_container(spec.name, timeout=DRAIN_S, missing_ok=True)
        proxy.start(image, spec.network, spec.port, following)
        docker.wait_container_ready(proxy.name, spec.ready_timeout)  # /ready through it
        gap = time.monotonic() - drained
        proxy.pin(following)  # by address: the rename below must not lose it
    docker.remove_container(spec.name)
    switch.wait_owner(following)
    docker.rename_container(following, spec.name)
    switch.serving(spec.name)
    return gap


def _stop_then_start(switch: Switch, image: str, old_image: str | None) -> float:
    """The next version alone on the store: the serving one stops first (and is started
    again if the next never gets ready)."""
    docker, spec = switch.docker, switch.spec
    previous = spec.name + PREVIOUS
    docker.remove_container(previous)
    stopped = time.monotonic()
    docker.stop_container(spec.name, timeout=DRAIN_S)
    docker.rename_container(spec.name, previous)
    if spec.service_image:
        docker.tag(image, spec.service_image)
    started = switch.start_and_wait(image, spec.name)
    if not started.ready:
        docker.remove_container(spec.name)
        if spec.service_image and old_image:
            docker.tag(old_image, spec.service_image)
        docker.rename_container(previous, spec.name)
        docker.start_stopped(spec.name)
        raise _refuse(image, "got ready beside the serving version but not alone", started.logs)
    if not switch.proxy.running:
        switch.proxy.start(image, spec.network, spec.port, spec.name)
    switch.serving(spec.name)
    docker.wait_container_ready(switch.proxy.name, spec.ready_timeout)
    docker.remove_container(previous)
    return time.monotonic() - stopped
