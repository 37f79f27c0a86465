"""POST /v1/documents with {"url": ...} through real HTTP, against a real web server on
127.0.0.2 (the one address the service's RAG_URL_ALLOW opens: the stand-in for a public
site): a page read for its main text under its URL as source, a second fetch replacing it,
other types by their declared type, and the SSRF probes refused as 422 naming the rule."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import Service
from documents import pdf_pages
from web_server import WebServer, article


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    server = WebServer("127.0.0.2")
    yield server
    server.close()


@pytest.fixture(scope="module")
def fetching(services: Callable[..., Service]) -> Service:
    return services(RAG_URL_INGEST="on", RAG_URL_ALLOW="127.0.0.2/32", RAG_URL_TIMEOUT_S="5")


def _ingest(http: httpx.Client, url: str, **fields: Any) -> httpx.Response:
    return http.post("/v1/documents", json={"url": url, **fields})


def test_ingest_url_stores_the_page_main_text_under_its_url(
    fetching: Service, web: WebServer
) -> None:
    marker = uuid.uuid4().hex
    url = web.page(f"/wiki/{marker}", article("Leave policy", [f"Leave {marker}: 25 days."]))
    with fetching.client() as http:
        response = _ingest(http, url + "#top", metadata={"team": "hr"})
        assert response.status_code == 201, response.text
        document = response.json()["documents"][0]
        assert document["source"] == url and document["title"] == "Leave policy"
        assert document["media_type"] == "text/html" and document["metadata"] == {"team": "hr"}
        chunks = http.get(f"/v1/documents/{document['id']}/chunks").json()["items"]
        text = " ".join(c["text"] for c in chunks)
        assert f"Leave {marker}: 25 days." in text
        for boilerplate in ("Sign in", "Canteen menu", "Cookie settings"):
            assert boilerplate not in text


def test_ingest_url_again_replaces_or_answers_duplicate(fetching: Service, web: WebServer) -> None:
    marker = uuid.uuid4().hex
    url = web.page(f"/news/{marker}", article("Notice", [f"Office {marker} opens at 9."]))
    with fetching.client() as http:
        first = _ingest(http, url).json()["documents"][0]
        same = _ingest(http, url)
        assert same.status_code == 200 and same.json()["documents"][0]["duplicate"] is True
        web.page(f"/news/{marker}", article("Notice", [f"Office {marker} opens at 8."]))
        changed = _ingest(http, url).json()["documents"][0]
        assert changed["replaced"] == first["id"] and changed["version"] == 2
        listed = http.get("/v1/documents", params={"source": url}).json()
        assert [d["id"] for d in listed["items"]] == [changed["id"]]


def test_ingest_url_reads_other_types_by_declared_type(fetching: Service, web: WebServer) -> None:
    marker = uuid.uuid4().hex
    url = web.page(
        f"/download/{marker}", pdf_pages([f"Report {marker} page one."]), "application/pdf"
    )
    with fetching.client() as http:
        response = _ingest(http, url, source=f"reports/{marker}")
        assert response.status_code == 201, response.text
        document = response.json()["documents"][0]
        assert document["media_type"] == "application/pdf"
        assert document["source"] == f"reports/{marker}"


@pytest.mark.parametrize(
    ("probe", "rule"),
    [
        ("http://127.0.0.1:{port}/", "loopback"),
        ("http://localhost:{port}/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://10.0.0.1/", "private"),
        ("http://[::ffff:127.0.0.1]:{port}/", "loopback"),
        ("http://2130706433:{port}/", "loopback"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_ingest_url_probe_is_422_naming_the_rule(
    fetching: Service, web: WebServer, probe: str, rule: str
) -> None:
    with fetching.client() as http:
        direct = _ingest(http, probe.format(port=web.port))
        redirected = _ingest(
            http, web.redirect(f"/r/{uuid.uuid4().hex}", probe.format(port=web.port))
        )
    for response in (direct, redirected):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "url_refused" and rule in error["message"]


def test_ingest_url_failures_are_502_504_and_413_kind(fetching: Service, web: WebServer) -> None:
    with fetching.client() as http:
        missing = _ingest(http, web.url(f"/{uuid.uuid4().hex}"))
        assert missing.status_code == 502 and "HTTP 404" in missing.text
        both = http.post("/v1/documents", json={"url": web.url("/x"), "text": "also text"})
        assert both.status_code == 422 and both.json()["error"]["details"][0]["loc"] == [
            "body",
            "text",
        ]


def test_ingest_url_when_off_is_403(client: httpx.Client, web: WebServer) -> None:
    url = web.page(f"/p/{uuid.uuid4().hex}", article("Off", ["Never fetched."]))
    before = len(web.requests)
    response = client.post("/v1/documents", json={"url": url})
    assert response.status_code == 403 and "RAG_URL_INGEST" in response.text
    assert len(web.requests) == before
