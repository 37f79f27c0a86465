"""/health, /ready and /metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import Service
from helpers import ingest_text


def test_ready_reports_model_and_counts(client: httpx.Client) -> None:
    body = client.get("/ready").json()
    assert body["status"] == "ready" and body["model"] == "all-MiniLM-L6-v2-int8"
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_is_503_with_reason_when_model_is_missing(
    services: Callable[..., Service], tmp_path: Path
) -> None:
    service = services(wait_ready=False, RAG_MODEL_DIR=str(tmp_path / "no-model"))
    with service.client() as http:
        deadline = time.monotonic() + 30
        while "start-up failed" not in (body := http.get("/ready").json())["reason"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert http.get("/ready").status_code == 503
        assert "no exported embedding model" in body["reason"]
        assert http.get("/health").status_code == 200
        response = http.post("/v1/retrieve", json={"query": "x"})
        assert response.status_code == 503
        assert "not ready" in response.json()["error"]["message"]


def _sample(metrics: str, name: str, **labels: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in metrics")


def test_metrics_expose_requests_latency_documents_and_ingest(client: httpx.Client) -> None:
    ingest_text(client, f"Metrics sample document {time.time_ns()}.")
    client.post("/v1/retrieve", json={"query": "metrics"})
    client.get("/v1/documents/unknown-id")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "rag_http_requests_total", route="/v1/retrieve", status="200") >= 1
    assert (
        _sample(text, "rag_http_requests_total", route="/v1/documents/{document_id}", status="404")
        >= 1
    )
    assert _sample(text, "rag_http_request_seconds_count", route="/v1/retrieve") >= 1
    documents = client.get("/v1/documents").json()["total"]
    assert _sample(text, "rag_documents") == documents
    assert _sample(text, "rag_chunks") >= documents
    assert _sample(text, "rag_ingested_chunks_total") >= 1
    assert _sample(text, "rag_ingest_chunks_per_second") > 0
    assert not re.search(r'route="/v1/documents/[0-9a-f]{8,}"', text)
