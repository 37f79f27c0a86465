"""bench.load drives wrk against a real HTTP server: every request, rotated bodies, counts,
and rates and latencies that agree with the server's known delay."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from helpers import require

from bench import load

DELAY_S = 0.02  # each answer's floor: bounds wrk's rate and latencies from one side


class _Retrieve(BaseHTTPRequestHandler):
    seen: ClassVar[Counter[str]] = Counter()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        status = 200 if self.path == "/v1/retrieve" else 404
        _Retrieve.seen[body if status == 200 else self.path] += 1
        time.sleep(DELAY_S)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk)")
    _Retrieve.seen.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Retrieve)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_run_posts_every_body_and_reports_what_the_server_answered(server: str) -> None:
    bodies = ['{"query": "a"}', '{"query": "b"}', '{"query": "c"}']
    clients = 4
    result = load.run(server, bodies, clients=clients, seconds=1)
    assert result.errors == 0 and result.seconds >= 1  # wrk sleeps the duration, then stops
    assert set(_Retrieve.seen) == set(bodies)
    # wrk stops with up to one request per connection in flight, which it does not count.
    assert result.requests <= sum(_Retrieve.seen.values()) <= result.requests + clients
    # Each connection waits out every answer, so no machine, however slow, goes past these.
    assert 0 < result.rps <= clients / DELAY_S
    assert DELAY_S * 1000 <= result.p50_ms <= result.p95_ms <= result.p99_ms
    assert 0 < result.busy <= 1  # wrk itself keeps a core partly busy
