"""Several replicas on one Postgres knowledge base, through the HTTP API: what one stores the
others answer from, one file stored once, jobs run by one replica and taken over when it
dies, and an unreachable database answered with 503 until it is back."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable

import httpx
import psycopg
import pytest
from conftest import FakeEmbeddings, Service
from helpers import ingest_text, wait_until

from rig.postgres import PASSWORD, PostgresServer

Replicas = tuple[Service, Service]


@pytest.fixture(scope="module")
def replicas(services: Callable[..., Service], postgres: PostgresServer) -> Replicas:
    url = postgres.new_database()
    return services(RAG_DATABASE_URL=url), services(RAG_DATABASE_URL=url)


def _ids(http: httpx.Client, query: str, mode: str) -> set[str]:
    response = http.post("/v1/retrieve", json={"query": query, "mode": mode, "top_k": 3})
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.json()["results"]}


def test_document_stored_through_one_replica_is_answered_by_the_other(
    replicas: Replicas,
) -> None:
    first, second = replicas
    with first.client() as http:
        stored = ingest_text(http, "Walruses haul out on sea ice to rest between dives.")["id"]
        ingest_text(http, "定期执行深度清理可以释放磁盘空间。")
    with second.client() as http:
        for mode in ("keyword", "dense", "hybrid"):
            assert stored in _ids(http, "where do walruses rest", mode), mode
        assert len(_ids(http, "磁盘空间", "keyword")) == 1
        assert http.delete(f"/v1/documents/{stored}").status_code == 204
    with first.client() as http:
        assert stored not in _ids(http, "where do walruses rest", "hybrid")
        assert http.get(f"/v1/documents/{stored}").status_code == 404


def test_same_file_to_both_replicas_at_once_is_stored_once(replicas: Replicas) -> None:
    text = "Two replicas receive the same otter census at the same moment."

    def upload(service: Service) -> str:
        with service.client() as http:
            response = http.post("/v1/documents", files={"files": ("census.txt", text.encode())})
            assert response.status_code in (200, 201), response.text
            return str(response.json()["documents"][0]["id"])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(upload, [*replicas] * 4))
    assert len(ids) == 1


def test_job_of_a_killed_replica_is_finished_by_another(
    services: Callable[..., Service], postgres: PostgresServer, fake_embeddings: FakeEmbeddings
) -> None:
    url = postgres.new_database()
    settings = {
        **fake_embeddings.settings(),
        "RAG_DATABASE_URL": url,
        "RAG_BACKGROUND_INGEST_CHARS": "200",
        "RAG_JOB_LEASE_S": "2",
        "RAG_EMBEDDING_TIMEOUT_S": "60",
    }
    pair = {
        service.process.pid: service for service in (services(**settings), services(**settings))
    }
    fake_embeddings.set("slow", delay=30)  # whoever claims the job hangs in its first batch
    long_text = " ".join(f"Sentence {n} of a long field report on otters." for n in range(40))
    with next(iter(pair.values())).client() as http:
        job_url = http.post("/v1/documents", json={"text": long_text}).json()["status_url"]
        wait_until(lambda: http.get(job_url).json()["status"] == "running", 30, "a claim")
    with psycopg.connect(url) as conn:
        owner = conn.execute("SELECT owner FROM jobs").fetchone()
    assert owner is not None
    runner = pair.pop(int(owner[0].split(":")[1]))
    runner.kill()
    fake_embeddings.set("ok")
    (survivor,) = pair.values()
    with survivor.client() as http:
        wait_until(lambda: http.get(job_url).json()["status"] == "succeeded", 60, "a takeover")
        assert http.get("/v1/documents").json()["total"] == 1
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT attempts FROM jobs").fetchone() == (2,)


def test_outage_answers_503_and_the_service_recovers(
    services: Callable[..., Service], postgres: PostgresServer
) -> None:
    service = services(RAG_DATABASE_URL=postgres.new_database())
    with service.client() as http:
        ingest_text(http, "Stored before the database went away.")
        with postgres.outage():
            ready = http.get("/ready")
            assert ready.status_code == 503 and "cannot be reached" in ready.json()["reason"]
            upload = http.post("/v1/documents", json={"text": "Sent during the outage."})
            assert upload.status_code == 503
            assert upload.json()["error"]["type"] == "store_unavailable"
        wait_until(lambda: http.get("/ready").status_code == 200, 30, "recovery")
        assert http.get("/v1/documents").json()["total"] == 1  # nothing partial, nothing lost
        ingest_text(http, "Stored after the database came back.")
    assert PASSWORD not in service.log()


def test_start_with_the_database_down_waits_for_it(
    services: Callable[..., Service], postgres: PostgresServer
) -> None:
    url = postgres.new_database()
    with postgres.outage():
        service = services(RAG_DATABASE_URL=url, wait_ready=False)
        wait_until(
            lambda: "waiting for the database" in httpx.get(f"{service.url}/ready").text,
            30,
            "the wait to show on /ready",
        )
    wait_until(lambda: httpx.get(f"{service.url}/ready").status_code == 200, 60, "readiness")
    assert PASSWORD not in service.log()
