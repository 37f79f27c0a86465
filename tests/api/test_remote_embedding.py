"""The service on an OpenAI-compatible embeddings endpoint: retrieval through it, its failures
as HTTP errors with nothing half-stored, and a store kept to one model until reindexed."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest
from conftest import MODEL_DIR, ROOT, FakeEmbeddings, Service
from helpers import ingest_text, wait_until


@pytest.fixture(scope="module")
def remote(services: Callable[..., Service], fake_embeddings_server: FakeEmbeddings) -> Service:
    fake_embeddings_server.set("ok")
    return services(**fake_embeddings_server.settings(), RAG_BACKGROUND_INGEST_CHARS="200")


def _documents(http: httpx.Client) -> int:
    return int(http.get("/v1/documents").json()["total"])


def test_dense_retrieval_runs_on_the_endpoints_vectors(
    remote: Service, fake_embeddings: FakeEmbeddings
) -> None:
    # Fixed texts: a random suffix adds hashed features that can outweigh the shared words
    # in the fake's 64 dimensions (it made this test fail about one run in sixteen).
    with remote.client() as http:
        wanted = ingest_text(http, "磁盘空间在十次更新以后占用十五到二十GB。")
        ingest_text(http, "代码修改以后重新构建镜像需要一到两分钟。")
        body = {"query": "磁盘空间占用多少", "mode": "dense", "top_k": 1}
        results = http.post("/v1/retrieve", json=body).json()["results"]
    assert results[0]["document_id"] == wanted["id"]


def test_query_answers_502_when_the_endpoint_fails(
    remote: Service, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.set("error")
    with remote.client() as http:
        response = http.post("/v1/retrieve", json={"query": "anything", "mode": "hybrid"})
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "embedding_error"
    assert "HTTP 500" in response.json()["error"]["message"]


def test_query_answers_504_when_the_endpoint_is_too_slow(
    remote: Service, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.set("slow", delay=5)  # the service waits 2 s per try
    with remote.client() as http:
        response = http.post("/v1/query", json={"question": "anything?"})
    assert response.status_code == 504
    assert response.json()["error"]["type"] == "embedding_timeout"


def test_upload_stores_nothing_when_the_endpoint_fails(
    remote: Service, fake_embeddings: FakeEmbeddings
) -> None:
    with remote.client() as http:
        before = _documents(http)
        fake_embeddings.set("error")
        response = http.post("/v1/documents", json={"text": f"short {uuid.uuid4().hex}"})
        assert response.status_code == 502
        # Over RAG_BACKGROUND_INGEST_CHARS here: a job, which fails with the reason.
        long_text = " ".join(f"sentence {n} of a long upload." for n in range(40))
        job_url = http.post("/v1/documents", json={"text": long_text}).json()["status_url"]
        wait_until(lambda: http.get(job_url).json()["status"] == "failed", 60, "the job")
        assert "embedding endpoint" in http.get(job_url).json()["error"]
        assert _documents(http) == before


def test_store_of_another_model_is_refused_until_reindexed(
    services: Callable[..., Service], fake_embeddings: FakeEmbeddings, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    storage = tmp_path_factory.mktemp("switch")
    local = services(storage_dir=storage)
    with local.client() as http:
        document_id = ingest_text(http, "Walruses haul out on sea ice to rest.")["id"]
    local.stop()

    refused = services(storage_dir=storage, wait_ready=False, **fake_embeddings.settings())
    wait_until(lambda: "reindex" in httpx.get(f"{refused.url}/ready").text, 60, "the refusal")
    assert httpx.get(f"{refused.url}/ready").status_code == 503
    refused.stop()

    env = {
        **os.environ,
        "RAG_STORAGE_DIR": str(storage),
        "RAG_MODEL_DIR": str(MODEL_DIR),
        **fake_embeddings.settings(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "src.reindex"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chunks re-embedded" in done.stdout

    switched = services(storage_dir=storage, **fake_embeddings.settings())
    with switched.client() as http:
        body = {"query": "walruses on ice", "mode": "dense", "top_k": 1}
        assert http.post("/v1/retrieve", json=body).json()["results"][0]["document_id"] == (
            document_id
        )
