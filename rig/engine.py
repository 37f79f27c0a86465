"""A second Docker engine, standing in for another server: its own image store, volumes and
network namespace (its ports do not collide with the local engine's), reached by ragctl as
`unix://` host exactly as it would reach `ssh://user@server`."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ragctl.docker import Docker, Engine

NETNS = "rag-rig-server"
HOST_IF, NS_IF = "ragrig-host", "ragrig-ns"
HOST_IP, SERVER_IP, SUBNET = "10.231.0.1", "10.231.0.2", "10.231.0.0/24"
DATA_ROOT = Path("/var/lib/rag-rig-server")
EXEC_ROOT = Path("/run/rag-rig-server")
PIDFILE = Path("/run/rag-rig-server.pid")
SOCKET = "/run/rag-rig-server.sock"


class EngineError(RuntimeError):
    pass


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


@dataclass
class Server:
    processes: list[subprocess.Popen[bytes]]
    docker: Docker = field(default_factory=lambda: Docker(Engine(f"unix://{SOCKET}")))

    host = f"unix://{SOCKET}"
    address = SERVER_IP  # where the host reaches ports published on this engine

    def load(self, image: str) -> None:
        """Copy an image from the local engine (no registry to pull a base image from)."""
        Docker().copy_image_to(self.docker, image)

    def disk_bytes(self) -> int:
        """Bytes this engine's data root holds on disk (images, containers, build cache)."""
        # Not check=True: du complains about files a running build removes under it.
        out = subprocess.run(
            ["du", "-sx", "--block-size=1", str(DATA_ROOT)], capture_output=True, text=True
        )
        return int(out.stdout.split()[0])

    def downloaded_bytes(self) -> int:
        """Bytes the host has sent into this engine's namespace so far: everything its
        builds download passes here (the client talks to it over a unix socket)."""
        return int(Path(f"/sys/class/net/{HOST_IF}/statistics/tx_bytes").read_text())

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        _cleanup()


# Outbound access for builds on this engine (through the host, as a server's own uplink).
_NAT_RULES = (
    ("nat", "POSTROUTING", "-s", SUBNET, "!", "-o", HOST_IF),
    ("filter", "FORWARD", "-s", SUBNET),
    ("filter", "FORWARD", "-d", SUBNET),
)


def _nat(action: str) -> None:
    for table, chain, *match in _NAT_RULES:
        target = "MASQUERADE" if table == "nat" else "ACCEPT"
        command = ["iptables", "-t", table, action, chain, *match, "-j", target]
        if action == "-D":
            while subprocess.run(command, capture_output=True).returncode == 0:
                pass
        else:
            subprocess.run(command, check=True, capture_output=True)


def _cleanup() -> None:
    _nat("-D")
    if PIDFILE.is_file():
        subprocess.run(["kill", PIDFILE.read_text().strip()], capture_output=True)
        time.sleep(3)
    _ip("netns", "del", NETNS, check=False)
    _ip("link", "del", HOST_IF, check=False)
    shutil.rmtree(DATA_ROOT, ignore_errors=True)
    shutil.rmtree(EXEC_ROOT, ignore_errors=True)


def _network() -> None:
    _ip("netns", "add", NETNS)
    _ip("link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
    _ip("link", "set", NS_IF, "netns", NETNS)
    _ip("addr", "add", f"{HOST_IP}/24", "dev", HOST_IF)
    _ip("link", "set", HOST_IF, "up")
    for args in (("addr", "add", f"{SERVER_IP}/24", "dev", NS_IF), ("link", "set", NS_IF, "up")):
        _ip("-n", NETNS, *args)
    _ip("-n", NETNS, "link", "set", "lo", "up")


def start(log_dir: Path, registry_port: int = 443, internet: bool = False) -> Server:
    """A fresh, empty engine (any leftover of an earlier run is wiped first); with
    `internet`, its builds can download packages through the host."""
    if shutil.which("dockerd") is None or shutil.which("nsenter") is None:
        raise EngineError("dockerd and nsenter are needed (run ../shared/ci/docker-env.sh)")
    _cleanup()
    _network()
    if internet:
        _ip("-n", NETNS, "route", "add", "default", "via", HOST_IP)
        _nat("-I")
    netns = f"/var/run/netns/{NETNS}"
    with (log_dir / "server-dockerd.log").open("ab") as out:
        # nsenter, not `ip netns exec`: that remounts /sys and hides the cgroup hierarchy.
        dockerd = subprocess.Popen(
            [
                *("nsenter", f"--net={netns}", "dockerd", "--data-root", str(DATA_ROOT)),
                *(
                    "--exec-root",
                    str(EXEC_ROOT),
                    "--pidfile",
                    str(PIDFILE),
                    "-H",
                    f"unix://{SOCKET}",
                ),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        relay = subprocess.Popen(
            [sys.executable, "-m", "rig.forward", netns, str(registry_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server([relay, dockerd])
    deadline = time.monotonic() + 60
    while not server.docker.answers():
        if time.monotonic() > deadline or dockerd.poll() is not None:
            server.stop()
            raise EngineError(f"the second engine did not start; see {log_dir}/server-dockerd.log")
        time.sleep(0.5)
    return server
