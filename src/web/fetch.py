"""Fetching a document from a URL, bounded and SSRF-safe.

Every connection, the first and each one after a redirect, is opened by `_GuardedBackend`:
it resolves the host once, checks every address it got (src/web/guard.py) and connects to a
checked address itself, so the address checked is the address connected to (no second DNS
lookup, no rebinding window). TLS still verifies the certificate against the host name. At
most MAX_REDIRECTS redirects, http and https only, the whole fetch within a wall-clock limit,
the body within the upload size limit (counted as it arrives, never trusted from headers).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin

import httpcore
import httpx

from src.errors import FetchError, FetchTimeoutError, LimitExceededError, RefusedUrlError
from src.formats import suffix_of_media_type
from src.web.guard import Address, AllowList, check_connect

MAX_REDIRECTS = 5
MAX_URL_CHARS = 2048
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "rag-api (document ingestion)"
_CHUNK = 64 * 1024
# Resolves a host name to the addresses a connection may go to (a port, for getaddrinfo).
Resolver = Callable[[str, int], list[Address]]


def system_resolver(host: str, port: int) -> list[Address]:
    """The host's addresses as the system resolves it (an IP literal: itself; glibc also
    reads decimal and octal IPv4 forms such as 2130706433 and 0177.0.0.1)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked for, normalised, without its fragment: the document's source
    final_url: str  # where the last redirect led
    data: bytes
    content_type: str
    filename: str  # from the final URL's path, for type detection and display


def check_url(url: str) -> httpx.URL:
    """A URL the fetcher may ask for (RefusedUrlError naming what is wrong otherwise)."""
    if len(url) > MAX_URL_CHARS:
        raise RefusedUrlError(
            f"the URL is {len(url)} characters long; the limit is {MAX_URL_CHARS}"
        )
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise RefusedUrlError(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise RefusedUrlError(
            f"only http and https URLs are fetched, not {parsed.scheme or 'a relative'} one",
            hint="give the document's full http(s):// address",
        )
    if not parsed.host:
        raise RefusedUrlError("the URL names no host")
    if parsed.userinfo:
        raise RefusedUrlError("URLs with a user name or password are not fetched")
    return parsed.copy_with(fragment=None)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connections only to addresses the guard allows, to the very address it checked."""

    def __init__(self, allow: AllowList, resolve: Resolver) -> None:
        self._allow = allow
        self._resolve = resolve
        self._plain = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc}") from exc
        for address in addresses:  # every answer checked before any is tried
            check_connect(host, address, self._allow)
        failure: Exception | None = None
        for address in addresses:
            try:
                return self._plain.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise FetchError(f"cannot connect to {host}:{port}: {failure}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise RefusedUrlError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Fetcher:
    def __init__(
        self,
        allow: AllowList,
        max_bytes: int,
        timeout_s: float,
        resolve: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(),
            max_connections=32,
            network_backend=_GuardedBackend(allow, resolve),
        )

    def close(self) -> None:
        self._pool.close()

    def fetch(self, url: str) -> Fetched:
        asked = check_url(url)
        deadline = time.monotonic() + self._timeout_s
        current = asked
        for _ in range(MAX_REDIRECTS + 1):
            with self._timed(deadline), self._request(current, deadline) as response:
                location = _redirect(response)
                if location is None:
                    data = self._body(response, deadline)
                    content_type = _header(response, b"content-type")
                    return Fetched(
                        str(asked),
                        str(current),
                        data,
                        content_type,
                        _filename(current, content_type),
                    )
            current = check_url(urljoin(str(current), location))
        raise RefusedUrlError(f"more than {MAX_REDIRECTS} redirects from {asked}")

    @contextmanager
    def _request(self, url: httpx.URL, deadline: float) -> Iterator[httpcore.Response]:
        left = max(deadline - time.monotonic(), 0.001)
        headers = [
            (b"User-Agent", _USER_AGENT.encode()),
            (b"Accept-Encoding", b"gzip, deflate, identity"),
            (b"Accept", b"*/*"),
        ]
        target = httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        )
        timeouts = {"connect": left, "read": left, "write": left, "pool": left}
        with self._pool.stream(
            "GET", target, headers=headers, extensions={"timeout": timeouts}
        ) as response:
            yield response

    @contextmanager
    def _timed(self, deadline: float) -> Iterator[None]:
        """The transport's failures as the fetch's own errors."""
        try:
            yield
        except httpcore.TimeoutException as exc:
            raise self._late() from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise FetchError(f"the fetch failed: {exc or type(exc).__name__}") from exc
        if time.monotonic() > deadline:
            raise self._late()

    def _late(self) -> FetchTimeoutError:
        return FetchTimeoutError(
            f"the URL did not answer in full within {self._timeout_s:g} s",
            hint="RAG_URL_TIMEOUT_S is the limit",
        )

    def _body(self, response: httpcore.Response, deadline: float) -> bytes:
        if response.status != 200:
            raise FetchError(f"the URL answered HTTP {response.status}, not 200")
        declared = _header(response, b"content-length")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_big()
        decoder = _decoder(_header(response, b"content-encoding"))
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_stream():
            for piece in decoder(chunk, self._max_bytes - size + 1):
                size += len(piece)
                parts.append(piece)
            if size > self._max_bytes:
                raise self._too_big()
            if time.monotonic() > deadline:
                raise self._late()
        return b"".join(parts)

    def _too_big(self) -> LimitExceededError:
        return LimitExceededError(
            f"the URL's document is larger than {self._max_bytes // (1024 * 1024)} MB",
            hint="RAG_MAX_UPLOAD_MB is the limit, for uploads and URLs alike",
        )


Decoder = Callable[[bytes, int], Iterator[bytes]]


def _decoder(encoding: str) -> Decoder:
    """Undoes a Content-Encoding, never inflating more than the caller still has room for
    (a small gzip bomb cannot become gigabytes in memory)."""
    if encoding in ("", "identity"):
        return lambda chunk, room: iter((chunk,))
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"the URL answered in an unsupported content encoding: {encoding}")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if "gzip" in encoding else zlib.MAX_WBITS)

    def decode(chunk: bytes, room: int) -> Iterator[bytes]:
        pending = chunk
        while pending or inflater.unconsumed_tail:
            piece = inflater.decompress(pending or inflater.unconsumed_tail, max(room, 1))
            pending = b""
            if not piece:
                return
            room -= len(piece)
            yield piece
            if room <= 0:
                return

    return decode


def _header(response: httpcore.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key.lower() == name:
            text = value.decode("latin-1").strip()
            return text if name == b"location" else text.lower()
    return ""


def _redirect(response: httpcore.Response) -> str | None:
    if response.status not in _REDIRECTS:
        return None
    location = _header(response, b"location")
    if not location:
        raise FetchError(f"the URL answered HTTP {response.status} without a Location")
    return location


def _filename(url: httpx.URL, content_type: str) -> str:
    """The name of the URL's last path segment, under the suffix of the type the server
    declared when it declared one rag-api reads (a page at /docs/leave is leave.html)."""
    name = PurePosixPath(unquote(url.path)).name or url.host
    suffix = suffix_of_media_type(content_type)
    return f"{PurePosixPath(name).stem}{suffix}" if suffix else name
