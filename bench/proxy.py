"""What the proxy in front of the service costs (docker/proxy/): one service container on the
local engine, asked directly on a port of its own and through the proxy, by 16 clients
retrieving back to back (wrk), the two in alternating rounds so that both see the same
machine."""

from __future__ import annotations

import json
import statistics
import uuid

import httpx

from bench import load
from bench.report import Record, summarize
from ragctl.docker import Docker, Run
from ragctl.proxy import Proxy
from rig.ecr import free_port
from rig.poller import wait_ok

CLIENTS = 16
DOCUMENTS = 50
QUERIES = 200


def _fill(url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        for n in range(DOCUMENTS):
            text = f"Keeper's log {n}: the lamp was trimmed, the fog bell rung {n % 7} times."
            response = http.post("/v1/documents", json={"text": text, "title": f"log {n}"})
            response.raise_for_status()


def proxy_cost(image: str, reps: int, seconds: int) -> list[Record]:
    docker, name = Docker(), f"rag-api-bench-proxy-{uuid.uuid4().hex[:6]}"
    direct, proxied = free_port(), free_port()
    docker.ensure_network(name)
    try:
        publish = (f"127.0.0.1:{direct}:8000",)
        docker.start_container(Run(image, name=f"{name}-service", network=name, publish=publish))
        Proxy(docker, f"{name}-proxy").start(image, name, proxied, f"{name}-service")
        urls = {"direct": f"http://127.0.0.1:{direct}", "proxy": f"http://127.0.0.1:{proxied}"}
        for url in urls.values():
            wait_ok(f"{url}/ready")
        _fill(urls["direct"])
        bodies = [json.dumps({"query": f"fog bell {n}", "top_k": 5}) for n in range(QUERIES)]
        p50s: dict[str, list[float]] = {variant: [] for variant in urls}
        for _ in range(reps):
            for variant, url in urls.items():
                p50s[variant].append(load.run(url, bodies, CLIENTS, seconds).p50_ms)
    finally:
        for container in (f"{name}-proxy", f"{name}-service"):
            docker.remove_container(container)
        docker.remove_network(name)
    cost = statistics.median(p50s["proxy"]) - statistics.median(p50s["direct"])
    return [
        *(summarize("proxy", v, "p50_16_clients", p50s[v], "ms") for v in p50s),
        Record("proxy", "cost", "p50_16_clients", round(cost, 3), "ms"),
    ]
