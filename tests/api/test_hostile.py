"""Hostile input over real HTTP: each shape gets a clear 4xx naming the file or field and
the limit, within the client's timeout; the service stays up and small; nothing stored is
lost (the `stored` fixture checks that around every test)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterator

import hostile
import httpx
import pytest
from conftest import Service
from helpers import ingest_text, parser_worker_pids

from bench.serving import rss_bytes


@pytest.fixture(scope="module")
def target(services: Callable[..., Service]) -> Service:
    """A service of its own, so that its memory is this module's alone to judge."""
    return services(RAG_PARSE_CPU_SECONDS="5")


@pytest.fixture()
def http(target: Service) -> Iterator[httpx.Client]:
    with target.client() as client:
        client.timeout = httpx.Timeout(60)  # every refusal must come well within this
        yield client


@pytest.fixture()
def stored(http: httpx.Client) -> Iterator[None]:
    document = ingest_text(http, "Stored before the hostile request: otters hold hands.")
    yield
    assert http.get(f"/v1/documents/{document['id']}").status_code == 200
    assert http.get("/health").status_code == 200


@pytest.mark.parametrize(("name", "make", "words"), hostile.CATALOGUE)
def test_upload_hostile_file_returns_422_naming_file_and_limit(
    http: httpx.Client, stored: None, name: str, make: Callable[[], bytes], words: str
) -> None:
    response = http.post("/v1/documents", files={"files": (name, make())})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] in ("limit_exceeded", "invalid_input")
    assert error["message"].startswith(f"{name}: ")
    assert words in error["message"]
    assert error["hint"]


def test_hostile_files_leave_service_memory_and_workers_bounded(
    http: httpx.Client, target: Service
) -> None:
    before = rss_bytes(target.process.pid)
    for name, make, _ in hostile.CATALOGUE:
        assert http.post("/v1/documents", files={"files": (name, make())}).status_code == 422
    after = rss_bytes(target.process.pid)
    assert after < before + 100 * 1024 * 1024, (before, after)
    workers = parser_worker_pids(target.process.pid)
    assert len(workers) == 2
    assert all(rss_bytes(pid) < 256 * 1024 * 1024 for pid in workers)


def _metadata(keys: int, value: str = "v") -> dict[str, str]:
    return {f"k{i}": value for i in range(keys)}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/documents", {"text": "t", "metadata": _metadata(33)}, "body.metadata"),
        ("/v1/documents", {"text": "t", "metadata": {"k": "v" * 1001}}, "body.metadata.k"),
        ("/v1/documents", {"text": "t", "title": "t" * 501}, "body.title"),
        ("/v1/documents", {"text": "t", "metadata": {"k": 2**64}}, "body.metadata.k"),
        ("/v1/retrieve", {"query": "q", "filters": {"metadata": _metadata(1000)}}, "metadata"),
        ("/v1/retrieve", {"query": "q", "filters": {"document_ids": ["d"] * 1001}}, "document_ids"),
        ("/v1/retrieve", {"query": "q" * 10_001}, "body.query"),
        ("/v1/query", {"question": "q" * 10_001}, "body.question"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "w " * 6_000}]},
            "the limit is 10,000",
        ),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "x"}] * 257},
            "body.messages",
        ),
    ],
)
def test_field_over_limit_returns_422_naming_it(
    http: httpx.Client, stored: None, path: str, body: dict[str, object], field: str
) -> None:
    response = http.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


def test_multipart_fields_have_the_json_limits(http: httpx.Client, stored: None) -> None:
    file = {"files": ("a.txt", b"multipart limits")}
    long_title = http.post("/v1/documents", files=file, data={"title": "t" * 501})
    assert long_title.status_code == 422
    assert "title" in long_title.json()["error"]["message"]
    huge_title = http.post("/v1/documents", files=file, data={"title": "t" * (1024 * 1024)})
    assert huge_title.status_code in (413, 422)
    metadata = http.post(
        "/v1/documents", files=file, data={"metadata": '{"k": "' + "v" * 1001 + '"}'}
    )
    assert metadata.status_code == 422
    assert "metadata.k" in metadata.json()["error"]["message"]


def test_pagination_past_limit_returns_422(http: httpx.Client) -> None:
    response = http.get("/v1/documents", params={"offset": 10**19})
    assert response.status_code == 422
    assert "query.offset" in response.json()["error"]["message"]


def test_body_over_request_limit_returns_413(http: httpx.Client) -> None:
    body = {"messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 413
    assert "1024 kB limit" in response.json()["error"]["message"]


def test_query_with_thousands_of_terms_is_answered(http: httpx.Client, stored: None) -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = " ".join(a + b + c for a in letters for b in letters for c in letters[:4])[:9_999]
    response = http.post("/v1/retrieve", json={"query": words, "mode": "keyword"})
    assert response.status_code == 200


def test_chat_flood_does_not_starve_query(http: httpx.Client, target: Service) -> None:
    ingest_text(http, "Sea otters use rocks as tools to open shellfish.")
    oversized = {"messages": [{"role": "user", "content": "otter " * 150_000}]}
    longest = {"messages": [{"role": "user", "content": " ".join(f"t{i}" for i in range(1_700))}]}

    def chat(body: dict[str, object]) -> int:
        with target.client() as flood:
            return flood.post("/v1/chat/completions", json=body).status_code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        floods = [pool.submit(chat, oversized) for _ in range(6)]
        floods += [pool.submit(chat, longest) for _ in range(6)]
        with target.client() as small:
            small.timeout = httpx.Timeout(10)  # "a few seconds", not the default minutes
            answer = small.post("/v1/query", json={"question": "What do otters use rocks for?"})
        assert answer.status_code == 200
        assert sorted(f.result() for f in floods) == [200] * 6 + [422] * 6


@pytest.mark.parametrize(
    ("disposition", "words"),
    [
        ("name=\"files\"; filename*=UTF-8''a.txt", "has no filename="),
        ('name="title"; filename="t.txt"', "'title' part must be text"),
    ],
)
def test_multipart_part_without_plain_filename_is_explained(
    http: httpx.Client, disposition: str, words: str
) -> None:
    body = (
        "--b\r\nContent-Disposition: form-data; " + disposition + "\r\n\r\nhello\r\n--b--\r\n"
    ).encode()
    response = http.post(
        "/v1/documents", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=zz"]
)
def test_malformed_multipart_returns_422_in_error_shape(
    http: httpx.Client, content_type: str
) -> None:
    response = http.post(
        "/v1/documents", content=b"garbage\r\n--", headers={"content-type": content_type}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]) >= {"type", "message"}


def test_bidi_and_control_characters_are_stripped_from_names_and_titles(
    http: httpx.Client,
) -> None:
    uploaded = http.post(
        "/v1/documents",
        files={"files": ("invoice\u202efdp.txt", b"bidi names are labels only")},
        data={"title": "Q3\u202e report\x07"},
    ).json()["documents"][0]
    assert uploaded["source_name"] == "invoicefdp.txt"
    assert uploaded["title"] == "Q3 report"
    posted = ingest_text(http, "bidi titles in json", "Plan\u2066B\u2069")
    assert posted["title"] == "PlanB"
