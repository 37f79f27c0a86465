"""Collections and scoped keys, through every /v1 route: a key sees nothing outside its
collections, on the embedded store and on Postgres with two replicas (each request goes to
the other replica than the one before). Beta's id, title and words must never appear in
anything a key scoped to alpha is answered."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import pytest
from conftest import Service
from helpers import poll, sse_events
from mcp_client import McpTarget

from rig.postgres import PostgresServer
from src.keys import CACHE_SECONDS

ROOT = "root-key-for-isolation-tests"
ALPHA_TEXT = "Alpha handbook: the quokka colony sleeps in the eucalyptus grove."
BETA_TEXT = "Beta contract: the narwhal invoice is payable in thirty days."
BETA_WORDS = ("narwhal", "invoice")
MODES = ("keyword", "dense", "hybrid")


@dataclass
class Tenants:
    replicas: tuple[Service, ...]
    keys: dict[str, str] = field(default_factory=dict)  # role name: key
    key_ids: dict[str, str] = field(default_factory=dict)
    alpha_doc: str = ""
    beta_doc: str = ""
    beta_job: str = ""
    _turn: Iterator[int] = field(default_factory=lambda: itertools.cycle((0, 1)))

    def http(self, key: str) -> httpx.Client:
        """A client on the next replica (they alternate)."""
        replica = self.replicas[next(self._turn) % len(self.replicas)]
        return replica.client(Authorization=f"Bearer {key}")

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        key = ROOT if who == "root" else self.keys[who]
        with self.http(key) as http:
            response = http.request(method, path, **kwargs)
        if who in ("reader_a", "writer_a"):
            _assert_no_beta(self, response.text, sent=f"{path} {kwargs}")
        return response


def _assert_no_beta(tenants: Tenants, text: str, sent: str = "") -> None:
    """Nothing of beta's in `text`, but what the request itself `sent` (echoed in errors)."""
    for secret in (tenants.beta_doc, tenants.beta_job, "Beta contract", *BETA_WORDS):
        if secret and secret not in sent:
            assert secret not in text, (secret, text[:300])


def _setup(tenants: Tenants) -> Tenants:
    for name in ("alpha", "beta"):
        created = tenants.call("root", "POST", "/v1/collections", json={"name": name})
        assert created.status_code == 201, created.text
    scopes = {"reader_a": ("reader", ["alpha"]), "writer_a": ("writer", ["alpha"])}
    scopes |= {"writer_b": ("writer", ["beta"]), "admin": ("admin", [])}
    for who, (role, collections) in scopes.items():
        body = {"name": who, "role": role, "collections": collections}
        made = tenants.call("root", "POST", "/v1/keys", json=body)
        assert made.status_code == 201, made.text
        tenants.keys[who], tenants.key_ids[who] = made.json()["key"], made.json()["id"]
    tenants.alpha_doc = _upload(tenants, "writer_a", ALPHA_TEXT, "alpha")
    tenants.beta_doc = _upload(tenants, "writer_b", BETA_TEXT, "beta")
    job = tenants.call(
        "writer_b",
        "POST",
        "/v1/documents?background=true",
        json={"text": f"{BETA_TEXT} Annex.", "title": "Beta annex", "collection": "beta"},
    )
    assert job.status_code == 202, job.text
    tenants.beta_job = job.json()["job_id"]
    return tenants


def _upload(tenants: Tenants, who: str, text: str, collection: str) -> str:
    title = text.split(":")[0]
    body = {
        "text": text,
        "title": title,
        "collection": collection,
        "source": f"{collection}/{title}",
    }
    response = tenants.call(who, "POST", "/v1/documents", json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["documents"][0]["id"])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def tenants(request: pytest.FixtureRequest, services: Callable[..., Service]) -> Tenants:
    if request.param == "sqlite":
        return _setup(Tenants((services(RAG_API_KEYS=ROOT),)))
    postgres: PostgresServer = request.getfixturevalue("postgres")
    url = postgres.new_database()
    replicas = (services(RAG_DATABASE_URL=url, RAG_API_KEYS=ROOT),) * 1
    replicas += (services(RAG_DATABASE_URL=url, RAG_API_KEYS=ROOT),)
    return _setup(Tenants(replicas))


SCOPED = ("reader_a", "writer_a")


def _not_found_like(tenants: Tenants, who: str, path: str, real: str, method: str = "GET") -> None:
    """`real` (beta's) is answered exactly as an id that was never stored."""
    guessed = uuid.uuid4().hex
    seen = tenants.call(who, method, path.format(real))
    never = tenants.call(who, method, path.format(guessed))
    assert seen.status_code == never.status_code == 404, (path, seen.text)
    assert seen.text.replace(real, "ID") == never.text.replace(guessed, "ID")


@pytest.mark.parametrize("who", SCOPED)
def test_read_other_collection_by_id_is_answered_as_missing(tenants: Tenants, who: str) -> None:
    _not_found_like(tenants, who, "/v1/documents/{}", tenants.beta_doc)
    _not_found_like(tenants, who, "/v1/documents/{}/chunks", tenants.beta_doc)
    _not_found_like(tenants, who, "/v1/jobs/{}", tenants.beta_job)
    _not_found_like(tenants, who, "/v1/collections/{}", "beta")
    assert tenants.call(who, "GET", f"/v1/documents/{tenants.alpha_doc}").status_code == 200


def test_delete_other_collection_document_is_answered_as_missing(tenants: Tenants) -> None:
    _not_found_like(tenants, "writer_a", "/v1/documents/{}", tenants.beta_doc, "DELETE")
    assert tenants.call("admin", "GET", f"/v1/documents/{tenants.beta_doc}").status_code == 200


def test_other_collection_source_is_answered_as_missing(tenants: Tenants) -> None:
    real, guessed = "beta/Beta contract", f"beta/{uuid.uuid4().hex}"
    for who in SCOPED:
        page = tenants.call(who, "GET", "/v1/documents", params={"source": real}).json()
        assert (page["items"], page["total"]) == ([], 0)
    seen, never = (
        tenants.call(
            "writer_a", "DELETE", "/v1/documents", params={"source": s, "collection": "beta"}
        )
        for s in (real, guessed)
    )
    assert seen.status_code == never.status_code == 404, seen.text
    assert seen.text.replace(real, "SOURCE") == never.text.replace(guessed, "SOURCE")
    listed = tenants.call("admin", "GET", "/v1/documents", params={"source": real}).json()
    assert [d["id"] for d in listed["items"]] == [tenants.beta_doc]


@pytest.mark.parametrize("who", SCOPED)
def test_list_documents_shows_only_own_collections(tenants: Tenants, who: str) -> None:
    page = tenants.call(who, "GET", "/v1/documents", params={"limit": 500}).json()
    assert {d["collection"] for d in page["items"]} == {"alpha"}
    assert page["total"] == len(page["items"])
    named = tenants.call(who, "GET", "/v1/documents", params={"collection": "beta"})
    assert named.status_code == 403
    everything = tenants.call("admin", "GET", "/v1/documents", params={"limit": 500}).json()
    assert {d["collection"] for d in everything["items"]} >= {"alpha", "beta"}


@pytest.mark.parametrize("who", SCOPED)
@pytest.mark.parametrize("mode", MODES)
def test_retrieve_never_returns_other_collection(tenants: Tenants, who: str, mode: str) -> None:
    for query in ("narwhal invoice payable", "quokka colony"):
        body = {"query": query, "mode": mode, "top_k": 20}
        hits = tenants.call(who, "POST", "/v1/retrieve", json=body).json()["results"]
        assert {hit["collection"] for hit in hits} <= {"alpha"}
    guessed = {"query": "narwhal", "mode": mode, "filters": {"document_ids": [tenants.beta_doc]}}
    assert tenants.call(who, "POST", "/v1/retrieve", json=guessed).json()["results"] == []


@pytest.mark.parametrize("who", SCOPED)
def test_search_naming_unreadable_collection_is_403_and_unknown_is_404(
    tenants: Tenants, who: str
) -> None:
    for path, field_name in (("/v1/retrieve", "query"), ("/v1/query", "question")):
        for collections, status in ((["beta"], 403), (["alpha", "beta"], 403), (["nope"], 404)):
            body = {field_name: "narwhal", "collections": collections}
            assert tenants.call(who, "POST", path, json=body).status_code == status
        own = {field_name: "quokka", "collections": ["alpha"]}
        assert tenants.call(who, "POST", path, json=own).status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_query_answers_only_from_own_collections(tenants: Tenants, stream: bool) -> None:
    body = {"question": "When is the narwhal invoice payable?", "stream": stream}
    response = tenants.call("reader_a", "POST", "/v1/query", json=body)
    assert response.status_code == 200
    if stream:
        citations = sse_events(response.text)[0][1]["citations"]
    else:
        citations = response.json()["citations"]
    assert {c["collection"] for c in citations} <= {"alpha"}


def test_models_list_one_per_readable_collection(tenants: Tenants) -> None:
    def models(who: str) -> list[str]:
        key = ROOT if who == "root" else tenants.keys[who]
        client = openai.OpenAI(base_url=f"{tenants.replicas[0].url}/v1", api_key=key)
        return [model.id for model in client.models.list().data]

    embedding = models("reader_a")[-1]  # the embedding model, last (/v1/embeddings)
    assert models("reader_a") == ["rag-api", "rag-api/alpha", embedding]
    assert models("writer_b") == ["rag-api", "rag-api/beta", embedding]
    assert embedding.startswith("all-MiniLM-L6-v2")
    assert {"rag-api/alpha", "rag-api/beta", "rag-api/default"} <= set(models("admin"))


@pytest.mark.parametrize("stream", [False, True])
def test_chat_model_picks_the_collection(tenants: Tenants, stream: bool) -> None:
    question = [{"role": "user", "content": "When is the narwhal invoice payable?"}]
    client = openai.OpenAI(
        base_url=f"{tenants.replicas[-1].url}/v1", api_key=tenants.keys["admin"], max_retries=0
    )

    def cited(model: str) -> set[str]:
        if not stream:
            done = client.chat.completions.create(model=model, messages=question)  # type: ignore[arg-type]
            return {c["collection"] for c in done.model_extra["citations"]}  # type: ignore[index]
        chunks = client.chat.completions.create(model=model, messages=question, stream=True)  # type: ignore[arg-type]
        first = next(iter(chunks))
        return {c["collection"] for c in first.model_extra["citations"]}  # type: ignore[index]

    assert cited("rag-api/alpha") <= {"alpha"}
    assert "beta" in cited("rag-api/beta")
    assert "beta" in cited("rag-api")
    reader = openai.OpenAI(
        base_url=f"{tenants.replicas[0].url}/v1", api_key=tenants.keys["reader_a"], max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError):
        reader.chat.completions.create(model="rag-api/beta", messages=question)  # type: ignore[arg-type]
    answer = reader.chat.completions.create(model="rag-api", messages=question)  # type: ignore[arg-type]
    _assert_no_beta(tenants, answer.model_dump_json())


def test_upload_needs_a_writer_of_that_collection(tenants: Tenants) -> None:
    text = {"text": f"Alpha note {uuid.uuid4().hex}.", "collection": "alpha"}
    assert tenants.call("reader_a", "POST", "/v1/documents", json=text).status_code == 403
    assert tenants.call("writer_a", "POST", "/v1/documents", json=text).status_code == 201
    into_beta = {**text, "collection": "beta"}
    assert tenants.call("writer_a", "POST", "/v1/documents", json=into_beta).status_code == 403
    files = {"files": ("note.txt", b"Alpha file note.")}
    form = tenants.call(
        "writer_a", "POST", "/v1/documents", files=files, data={"collection": "beta"}
    )
    assert form.status_code == 403
    assert tenants.call("writer_a", "POST", "/v1/documents", files=files).status_code == 403


def test_duplicate_upload_never_answers_another_collection_document(tenants: Tenants) -> None:
    body = {"text": BETA_TEXT, "title": "copy", "collection": "alpha"}
    first = tenants.call("admin", "POST", "/v1/documents", json=body)
    again = tenants.call("admin", "POST", "/v1/documents", json=body)
    assert first.status_code == 201 and again.status_code == 200
    ids = {first.json()["documents"][0]["id"], again.json()["documents"][0]["id"]}
    assert len(ids) == 1 and tenants.beta_doc not in ids
    assert first.json()["documents"][0]["collection"] == "alpha"
    tenants.call("admin", "DELETE", f"/v1/documents/{ids.pop()}")


@pytest.mark.parametrize("who", [*SCOPED, "writer_b"])
def test_manage_collections_and_keys_needs_admin(tenants: Tenants, who: str) -> None:
    for method, path, body in (
        ("POST", "/v1/collections", {"name": "gamma"}),
        ("PATCH", "/v1/collections/alpha", {"description": "x"}),
        ("DELETE", "/v1/collections/alpha", None),
        ("POST", "/v1/keys", {"name": "x", "role": "admin"}),
        ("GET", "/v1/keys", None),
        ("DELETE", f"/v1/keys/{tenants.key_ids['admin']}", None),
    ):
        response = tenants.call(who, method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)


def test_collections_list_shows_only_readable_ones(tenants: Tenants) -> None:
    mine = tenants.call("reader_a", "GET", "/v1/collections").json()["items"]
    assert [c["name"] for c in mine] == ["alpha"]
    every = tenants.call("admin", "GET", "/v1/collections").json()["items"]
    assert {"alpha", "beta", "default"} <= {c["name"] for c in every}


def _mcp(tenants: Tenants, who: str) -> McpTarget:
    """The MCP endpoint of the next replica, with `who`'s key."""
    replica = tenants.replicas[next(tenants._turn) % len(tenants.replicas)]
    return McpTarget(replica.url, tenants.keys[who])


def _mcp_answer(tenants: Tenants, tool: str, **arguments: Any) -> str:
    """reader_a's answer to a tool call: its whole text, checked for anything of beta's."""
    result = _mcp(tenants, "reader_a").call(tool, **arguments)
    text = " ".join(block.text for block in result.content if block.type == "text")
    _assert_no_beta(tenants, text, sent=str(arguments))
    return text


def test_mcp_tools_see_only_what_v1_lets_the_key_read(tenants: Tenants) -> None:
    mcp = _mcp(tenants, "reader_a")
    assert [c["name"] for c in mcp.ok("list_collections")["items"]] == ["alpha"]
    listed = mcp.ok("list_documents", limit=500)["items"]
    assert {d["collection"] for d in listed} == {"alpha"}
    for mode in MODES:
        _mcp_answer(tenants, "search", query="narwhal invoice payable", mode=mode, top_k=20)
    _mcp_answer(tenants, "ask", question="When is the narwhal invoice payable?")
    guessed = {"document_ids": [tenants.beta_doc]}
    assert mcp.ok("search", query="narwhal", filters=guessed)["results"] == []


def test_mcp_tool_errors_are_the_v1_answers(tenants: Tenants) -> None:
    guessed = uuid.uuid4().hex
    for document_id in (tenants.beta_doc, guessed):
        error = _mcp(tenants, "reader_a").error("get_document", document_id=document_id)
        over_http = tenants.call("reader_a", "GET", f"/v1/documents/{document_id}/chunks")
        assert error == over_http.json() and over_http.status_code == 404
    for collections in (["beta"], ["nope"]):
        error = _mcp(tenants, "reader_a").error("search", query="x", collections=collections)
        body = {"query": "x", "collections": collections}
        assert error == tenants.call("reader_a", "POST", "/v1/retrieve", json=body).json()


def test_keys_list_never_shows_a_key(tenants: Tenants) -> None:
    listed = tenants.call("admin", "GET", "/v1/keys")
    assert listed.status_code == 200
    assert {k["name"] for k in listed.json()["items"]} >= set(tenants.keys)
    for key in tenants.keys.values():
        assert key not in listed.text


def test_metrics_name_no_document(tenants: Tenants) -> None:
    with tenants.replicas[0].client() as http:
        metrics = http.get("/metrics").text
    for secret in (tenants.alpha_doc, tenants.beta_doc, "Beta contract", "Alpha handbook"):
        assert secret not in metrics


def test_revoked_key_refused_at_once_here_and_within_a_second_elsewhere(
    tenants: Tenants,
) -> None:
    made = tenants.call("root", "POST", "/v1/keys", json={"name": "temp", "role": "admin"})
    key, key_id = made.json()["key"], made.json()["id"]
    first, last = tenants.replicas[0], tenants.replicas[-1]
    for replica in (first, last):  # each has verified (and cached) it
        with replica.client(Authorization=f"Bearer {key}") as http:
            assert http.get("/v1/documents").status_code == 200
    with first.client(Authorization=f"Bearer {ROOT}") as http:
        assert http.delete(f"/v1/keys/{key_id}").status_code == 204
    with first.client(Authorization=f"Bearer {key}") as http:
        assert http.get("/v1/documents").status_code == 401
    time.sleep(CACHE_SECONDS + 0.1)
    with last.client(Authorization=f"Bearer {key}") as http:
        assert http.get("/v1/documents").status_code == 401


def test_delete_collection_refuses_non_empty_unless_forced(tenants: Tenants) -> None:
    assert (
        tenants.call("root", "POST", "/v1/collections", json={"name": "scratch"}).status_code == 201
    )
    _upload(tenants, "admin", "Scratch note about walruses.", "scratch")
    assert tenants.call("root", "DELETE", "/v1/collections/scratch").status_code == 409
    forced = tenants.call("root", "DELETE", "/v1/collections/scratch?force=true")
    assert forced.json() == {"name": "scratch", "deleted_documents": 1}
    hits = tenants.call("admin", "POST", "/v1/retrieve", json={"query": "walruses"}).json()
    assert all(hit["collection"] != "scratch" for hit in hits["results"])
    assert tenants.call("root", "GET", "/v1/collections/scratch").status_code == 404


def test_audit_lines_name_the_key_never_the_secret(tenants: Tenants) -> None:
    log = tenants.replicas[0].log() + tenants.replicas[-1].log()
    assert '"audit": "document.create"' in log
    assert f'"key_id": "{tenants.key_ids["writer_b"]}"' in log
    assert '"audit": "collection.create"' in log and '"audit": "key.create"' in log
    for key in (ROOT, *tenants.keys.values()):
        assert key not in log


def test_wrong_key_is_counted_by_route(tenants: Tenants) -> None:
    with tenants.replicas[0].client(Authorization="Bearer not-a-key") as http:
        assert http.get(f"/v1/documents/{tenants.alpha_doc}").status_code == 401
        metrics = http.get("/metrics").text
    line = 'rag_auth_failures_total{route="/v1/documents/{document_id}"}'
    assert line in metrics
    assert "not-a-key" not in tenants.replicas[0].log()


def test_job_of_own_collection_is_readable(tenants: Tenants) -> None:
    job = poll(
        lambda: (
            r
            if (r := tenants.call("writer_b", "GET", f"/v1/jobs/{tenants.beta_job}").json())[
                "status"
            ]
            in ("succeeded", "failed")
            else None
        ),
        60,
        "the beta job",
    )
    assert job["status"] == "succeeded"
