"""The fetcher against real HTTP servers: what it fetches, the limits it keeps, and every
SSRF probe refused, directly, by redirect and by a DNS name that resolves to it. A server on
127.0.0.2 stands for a public host (the allow list opens exactly it); DNS names are answered
by a resolver function standing in for DNS, the only part not run for real."""

from __future__ import annotations

import gzip
import ipaddress
import time
from collections.abc import Iterator

import pytest
from web_server import PROBES, Route, WebServer, article

from src.errors import FetchError, FetchTimeoutError, LimitExceededError, RefusedUrlError
from src.web.fetch import MAX_REDIRECTS, Fetcher, system_resolver
from src.web.guard import Address, AllowList

PUBLIC = "127.0.0.2"  # the stand-in for a public host: the one address opened
MAX_BYTES = 64 * 1024
DIRECT_PROBES = PROBES
NAMED = {
    "loopback.test": "127.0.0.1",
    "ten.test": "10.9.8.7",
    "oneseventwo.test": "172.20.1.1",
    "oneninetwo.test": "192.168.50.5",
    "metadata.test": "169.254.169.254",
    "six.test": "::1",
    "ula.test": "fd12:3456::1",
    "mapped.test": "::ffff:127.0.0.1",
}


def _resolver(answers: dict[str, list[str]]) -> tuple[list[str], object]:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[Address]:
        asked.append(host)
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        return system_resolver(host, port)

    return asked, resolve


@pytest.fixture()
def web() -> Iterator[WebServer]:
    server = WebServer(PUBLIC)
    yield server
    server.close()


def _fetcher(timeout_s: float = 10.0, resolve: object = system_resolver) -> Fetcher:
    return Fetcher(AllowList.parse(f"{PUBLIC}/32"), MAX_BYTES, timeout_s, resolve)  # type: ignore[arg-type]


def test_fetch_returns_the_page_with_its_type_and_a_name_for_it(web: WebServer) -> None:
    url = web.page("/wiki/leave-policy", article("Leave policy", ["Twenty-five days."]))
    fetched = _fetcher().fetch(url + "#section-2")
    assert fetched.url == url and fetched.final_url == url
    assert fetched.filename == "leave-policy.html"
    assert fetched.content_type.startswith("text/html") and b"Twenty-five" in fetched.data


def test_fetch_follows_five_redirects_and_refuses_a_sixth(web: WebServer) -> None:
    target = web.page("/final", b"<p>arrived</p>")
    web.redirect(f"/hop{MAX_REDIRECTS}", target)
    for hop in range(MAX_REDIRECTS - 1, -1, -1):
        web.redirect(f"/hop{hop}", f"/hop{hop + 1}", status=301 if hop % 2 else 307)
    fetched = _fetcher().fetch(web.url("/hop1"))
    assert fetched.final_url == target and fetched.data == b"<p>arrived</p>"
    with pytest.raises(RefusedUrlError, match=f"more than {MAX_REDIRECTS} redirects"):
        _fetcher().fetch(web.url("/hop0"))


@pytest.mark.parametrize("probe", DIRECT_PROBES)
def test_fetch_refuses_each_internal_address(web: WebServer, probe: str) -> None:
    with pytest.raises(RefusedUrlError):
        _fetcher().fetch(probe.format(port=web.port))


@pytest.mark.parametrize("probe", DIRECT_PROBES)
def test_fetch_refuses_a_redirect_to_each_internal_address(web: WebServer, probe: str) -> None:
    url = web.redirect("/moved", probe.format(port=web.port))
    with pytest.raises(RefusedUrlError):
        _fetcher().fetch(url)
    assert web.requests == ["/moved"]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_fetch_refuses_a_name_resolving_to_each_internal_address(web: WebServer, name: str) -> None:
    asked, resolve = _resolver({name: [NAMED[name]]})
    with pytest.raises(RefusedUrlError, match=name):
        _fetcher(resolve=resolve).fetch(f"http://{name}:{web.port}/")
    redirected = web.redirect("/to-name", f"http://{name}:{web.port}/")
    with pytest.raises(RefusedUrlError, match=name):
        _fetcher(resolve=resolve).fetch(redirected)
    assert asked.count(name) == 2


def test_fetch_refuses_a_name_when_any_of_its_addresses_is_internal(web: WebServer) -> None:
    _, resolve = _resolver({"mixed.test": [PUBLIC, "10.0.0.1"]})
    with pytest.raises(RefusedUrlError, match=r"10\.0\.0\.1"):
        _fetcher(resolve=resolve).fetch(f"http://mixed.test:{web.port}/")


def test_fetch_connects_to_the_address_it_checked_without_asking_dns_again(
    web: WebServer,
) -> None:
    """DNS rebinding: the first answer passes, every later one would point inside. The
    fetch resolves once per connection and connects to what it checked."""
    answers = iter([PUBLIC, "127.0.0.1", "127.0.0.1"])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[Address]:
        asked.append(host)
        return [ipaddress.ip_address(next(answers))]

    web.page("/", b"<p>the real page</p>")
    fetched = _fetcher(resolve=rebinding).fetch(f"http://rebind.test:{web.port}/")
    assert fetched.data == b"<p>the real page</p>" and asked == ["rebind.test"]
    with pytest.raises(RefusedUrlError, match="loopback"):
        _fetcher(resolve=rebinding).fetch(f"http://rebind.test:{web.port}/")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "http://user:pw@example.com/"],
)
def test_fetch_refuses_other_schemes_and_credentials(url: str) -> None:
    with pytest.raises(RefusedUrlError):
        _fetcher().fetch(url)


def test_fetch_refuses_a_body_over_the_limit_whatever_it_declares(web: WebServer) -> None:
    big = b"x" * (MAX_BYTES + 1)
    web.routes["/big"] = Route(body=big)
    web.routes["/lying"] = Route(body=big, headers={"Content-Length": "10"})
    web.routes["/bomb"] = Route(
        body=gzip.compress(b"0" * (MAX_BYTES * 50)), headers={"Content-Encoding": "gzip"}
    )
    for path in ("/big", "/bomb"):
        with pytest.raises(LimitExceededError, match="larger than"):
            _fetcher().fetch(web.url(path))
    lied = _fetcher().fetch(web.url("/lying"))  # read as declared: never past it
    assert len(lied.data) <= 10


def test_fetch_gzip_body_is_decoded(web: WebServer) -> None:
    web.routes["/z"] = Route(
        body=gzip.compress(b"<p>zipped</p>"), headers={"Content-Encoding": "gzip"}
    )
    assert _fetcher().fetch(web.url("/z")).data == b"<p>zipped</p>"


def test_fetch_of_a_slow_server_stops_at_the_wall_clock_limit(web: WebServer) -> None:
    web.routes["/slow"] = Route(body=b"x" * 200, drip_s=0.05)  # 10 s in all
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="within 1 s"):
        _fetcher(timeout_s=1.0).fetch(web.url("/slow"))
    assert time.monotonic() - started < 4


def test_fetch_of_an_error_status_is_a_fetch_error(web: WebServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        _fetcher().fetch(web.url("/missing"))
