"""The proxy (docker/proxy/, ragctl/proxy.py) in front of real service containers of the
built image: a route change reaches the next version with no request failed, a request under
way finishes on the version it began on, and the next version, on standby until then, takes
over the store once it has exited, with that request's document in it."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragctl.docker import DockerError, Run
from ragctl.proxy import Proxy
from rig.load import Load
from rig.poller import wait_ok
from tests.helpers import wait_until
from tests.ragctl.conftest import LOCAL

DRAIN_S = 60
BOUNDARY = "rag-proxy-test"


@dataclass(frozen=True)
class Stage:
    image: str
    network: str
    storage: Path
    prefix: str
    url: str
    port: int

    def service(self, name: str, **env: str) -> str:
        container = f"{self.prefix}-{name}"
        volume = f"{self.storage}:/app/rag_local_storage"
        run = Run(self.image, name=container, network=self.network, volumes=(volume,), env=env)
        LOCAL.start_container(run)
        assert LOCAL.wait_container_ready(container, 180), LOCAL.logs_tail(container)
        return container


@pytest.fixture()
def stage(built: dict[str, Any], tmp_path: Path, host_port: int) -> Iterator[Stage]:
    prefix = f"rag-proxy-test-{uuid.uuid4().hex[:8]}"
    LOCAL.ensure_network(prefix)
    storage = tmp_path / "storage"
    storage.mkdir()
    yield Stage(built["ref"], prefix, storage, prefix, f"http://127.0.0.1:{host_port}", host_port)
    for name in ("a", "b", "proxy"):
        LOCAL.remove_container(f"{prefix}-{name}")
    LOCAL.remove_network(prefix)


def _multipart(name: str, text: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\n{text}\r\n--{BOUNDARY}--\r\n"
    ).encode()


def _begin_upload(port: int, body: bytes) -> socket.socket:
    """An upload whose body is half sent: under way until the rest follows."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=DRAIN_S)
    head = (
        f"POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[: len(body) // 2])
    return sock


def _finish_upload(sock: socket.socket, body: bytes) -> str:
    sock.sendall(body[len(body) // 2 :])
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    sock.close()
    return reply.decode(errors="replace")


def _ready(stage: Stage) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{stage.url}/ready", timeout=5).json()
    return answer


def test_route_to_the_next_version_drops_no_request(stage: Stage) -> None:
    current = stage.service("a")
    proxy = Proxy(LOCAL, f"{stage.prefix}-proxy")
    proxy.start(stage.image, stage.network, stage.port, current)
    wait_ok(f"{stage.url}/ready", timeout=60)
    following = stage.service("b")  # on standby: the other holds the store
    assert _ready(stage)["standby"] is False
    body = _multipart("keepers.txt", "The lighthouse keepers logged every passing steamer.")
    with Load(stage.url) as load:
        under_way = _begin_upload(stage.port, body)
        LOCAL.signal(following, "SIGUSR2")  # catch up with what the current one wrote
        proxy.pin(following, backup=current)
        stopping = threading.Thread(target=LOCAL.stop_container, args=(current, DRAIN_S))
        stopping.start()
        reply = _finish_upload(under_way, body)
        stopping.join()
        wait_until(lambda: not _ready(stage)["standby"], 60, "the take-over")
        proxy.route(following)
    assert reply.startswith("HTTP/1.1 201") or reply.startswith("HTTP/1.1 200"), reply
    assert load.failures == []
    assert load.answers > load.clients and load.streamed > 0
    found = httpx.post(
        f"{stage.url}/v1/retrieve", json={"query": "passing steamer", "mode": "dense"}, timeout=30
    ).json()["results"]
    assert "passing steamer" in found[0]["text"]


def test_proxy_with_no_service_answers_in_the_service_error_format(stage: Stage) -> None:
    proxy = Proxy(LOCAL, f"{stage.prefix}-proxy")
    proxy.start(stage.image, stage.network, stage.port, f"{stage.prefix}-a")  # not started
    wait_until(lambda: proxy.running, 30, "the proxy")

    def answer() -> httpx.Response | None:
        try:
            return httpx.get(f"{stage.url}/v1/documents", timeout=5)
        except httpx.HTTPError:
            return None

    wait_until(lambda: answer() is not None, 30, "the proxy's port")
    response = answer()
    assert response is not None and response.status_code == 503
    assert response.json()["error"]["type"] == "unavailable"
    with pytest.raises(DockerError, match="exited with 2"):  # route takes one container
        LOCAL.exec_in(proxy.name, "rag-proxy", "route", "a:8000", "b:8000", user="app")
    with pytest.raises(DockerError, match="exited with 1"):  # nowhere nginx can resolve
        proxy.pin(f"{stage.prefix}-nowhere")
    route = LOCAL.exec_in(proxy.name, "cat", "/tmp/rag-proxy/route.conf")
    assert f"default {stage.prefix}-a:8000;" in route  # both refused: the route is unchanged
