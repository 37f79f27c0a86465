"""Bad input gets a clear 4xx naming the reason, and nothing already stored is lost."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import httpx
import pytest
from conftest import Service
from helpers import ingest_text


@pytest.fixture()
def stored(client: httpx.Client) -> Iterator[int]:
    """The document count before a bad request; after it, the same documents must be there."""
    ingest_text(client, "A document stored before the bad request arrives.")
    before = client.get("/v1/documents", params={"limit": 500}).json()
    yield before["total"]
    after = client.get("/v1/documents", params={"limit": 500}).json()
    assert after["total"] == before["total"]
    assert {d["id"] for d in after["items"]} == {d["id"] for d in before["items"]}


def _upload(client: httpx.Client, name: str, data: bytes, mime: str = "") -> httpx.Response:
    return client.post("/v1/documents", files={"files": (name, data, mime or "text/plain")})


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("tool.exe", b"MZ\x90\x00", 415, "unsupported file type '.exe'"),
        ("backup.zip", b"PK\x03\x04 a zip", 415, "unsupported file type '.zip'"),
        ("slides.pdf", b"PK\x03\x04 a zip", 415, "declared .pdf but its content is a zip"),
        ("empty.txt", b"", 422, "the file is empty"),
        ("blank.md", b"  \n\n\t ", 422, "no text could be extracted"),
        ("latin1.txt", "caf\u00e9 cr\u00e8me".encode("latin-1"), 422, "not valid UTF-8"),
        ("binary.txt", b"abc\x00\x00def", 415, "its content is binary data"),
        ("late.txt", b"a" * 10_000 + b"\x00", 422, "NUL bytes"),
        ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf", 422, "PDF is corrupt"),
        ("broken.docx", b"PK\x03\x04 not a real zip", 422, ".docx file is corrupt"),
    ],
)
def test_upload_bad_file_is_rejected_with_reason(
    client: httpx.Client, stored: int, name: str, data: bytes, status: int, words: str
) -> None:
    response = _upload(client, name, data)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert words in error["message"]
    assert error.get("hint")


def test_upload_with_one_bad_file_stores_none_of_them(client: httpx.Client, stored: int) -> None:
    files = [
        ("files", ("good.txt", b"A perfectly good file about otters.", "text/plain")),
        ("files", ("bad.pdf", b"%PDF-garbage", "application/pdf")),
    ]
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("bad.pdf:")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"text": "unterminated', "invalid request: body"),
        (b'{"title": "no text"}', "body.text: Field required"),
        (b'{"text": ""}', "body.text"),
        (b'{"text": "ok", "metadata": {"bad key!": 1}}', "body.metadata"),
        (b"[1, 2, 3]", "invalid request"),
    ],
)
def test_malformed_json_returns_422(
    client: httpx.Client, stored: int, body: bytes, words: str
) -> None:
    response = client.post(
        "/v1/documents", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert words in response.json()["error"]["message"]


def test_whitespace_only_text_returns_422(client: httpx.Client, stored: int) -> None:
    response = client.post("/v1/documents", json={"text": "   \n\t  "})
    assert response.status_code == 422
    assert "the text is empty" in response.json()["error"]["message"]


def test_unsupported_request_content_type_returns_415(client: httpx.Client, stored: int) -> None:
    response = client.post(
        "/v1/documents", content=b"hello", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415


def test_malformed_retrieve_and_query_return_422(client: httpx.Client) -> None:
    cases = [
        ("/v1/retrieve", {"query": ""}),
        ("/v1/retrieve", {"query": "x", "top_k": 0}),
        ("/v1/retrieve", {"query": "x", "mode": "fuzzy"}),
        ("/v1/retrieve", {"query": "x", "filters": {"unknown": 1}}),
        ("/v1/query", {"question": ""}),
        ("/v1/query", {}),
    ]
    for path, body in cases:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"]["type"] == "invalid_request"


def test_unknown_document_id_returns_404(client: httpx.Client) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, "/v1/documents/0123456789abcdef")
        assert response.status_code == 404
        assert "no document with id" in response.json()["error"]["message"]


def test_file_name_is_never_used_as_a_path(client: httpx.Client, service: Service) -> None:
    before = sorted(os.listdir(service.storage_dir))
    name = "../../../../tmp/evil-name.txt"
    response = _upload(client, name, b"Traversal attempts must not write files anywhere.")
    assert response.status_code == 201
    assert response.json()["documents"][0]["source_name"] == "evil-name.txt"
    assert sorted(os.listdir(service.storage_dir)) == before
    assert not os.path.exists("/tmp/evil-name.txt")


@pytest.fixture(scope="module")
def small_limit_service(services: Callable[..., Service]) -> Service:
    return services(RAG_MAX_UPLOAD_MB="0.01")  # about 10 kB


def test_upload_over_limit_returns_413(small_limit_service: Service) -> None:
    with small_limit_service.client() as http:
        response = _upload(http, "big.txt", b"word " * 5000)
        assert response.status_code == 413
        assert "larger than the 0.01 MB limit" in response.json()["error"]["message"]
        assert http.get("/v1/documents").json()["total"] == 0


def test_chunked_upload_over_limit_returns_413(small_limit_service: Service) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        for _ in range(40):
            yield b"x" * 1024

    with small_limit_service.client() as http:
        response = http.post(
            "/v1/documents", content=body(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert http.get("/v1/documents").json()["total"] == 0
