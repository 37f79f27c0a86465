"""A real HTTP server for URL-ingestion tests: routes answer fixed bodies, redirects, slow
drips or lies about their size; it listens on any loopback address (127.0.0.2 is a
different host than 127.0.0.1 to a guard that opens only one of them)."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Internal addresses as URLs write them (a loopback one on the server's port): each one a
# URL ingest must refuse, directly and behind a redirect.
PROBES = (
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://2130706433:{port}/",  # 127.0.0.1 in decimal
    "http://0x7f000001:{port}/",  # in hex
    "http://0177.0.0.1:{port}/",  # in octal
    "http://017700000001:{port}/",  # octal, undotted
    "http://127.1:{port}/",
)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip_s: float = 0.0  # seconds between bytes of the body (a slow server)


class WebServer:
    def __init__(self, host: str = "127.0.0.2") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path, Route(404, b"not here"))
                self.send_response(route.status)
                headers = {"Content-Length": str(len(route.body)), **route.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The client may give up: what a guarded fetch does on purpose.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(route)

            def _write(self, route: Route) -> None:
                if not route.drip_s:
                    self.wfile.write(route.body)
                    return
                for byte in route.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route.drip_s)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer((host, 0), Handler)
        self._http.daemon_threads = True
        self.host = host
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
        self.routes[path] = Route(body=body, headers={"Content-Type": content_type})
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(status, headers={"Location": location})
        return self.url(path)

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def article(title: str, paragraphs: list[str]) -> bytes:
    """A web page: the article among a menu, a sidebar and a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title} | Acme Wiki</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About us</a> Sign in Menu</nav>"
        "<div class='sidebar'><h3>Related pages</h3><ul><li>Canteen menu</li>"
        "<li>Car park rules</li></ul></div>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2026 Acme Corporation. Privacy notice. Cookie settings.</footer>"
        "</body></html>"
    ).encode()
