"""What must keep holding under concurrent and slow clients."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import httpx
from conftest import Service


def test_concurrent_identical_uploads_store_one_document(service: Service) -> None:
    text = f"Twenty clients upload the same otter report {uuid.uuid4().hex}."

    def upload(_: int) -> str:
        with service.client() as http:
            response = http.post("/v1/documents", files={"files": ("same.txt", text.encode())})
            assert response.status_code in (200, 201), response.text
            return str(response.json()["documents"][0]["id"])

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        ids = set(pool.map(upload, range(20)))
    assert len(ids) == 1


def test_concurrent_upload_delete_retrieve_never_serves_deleted(service: Service) -> None:
    deleted: set[str] = set()
    errors: list[str] = []
    stop = time.monotonic() + 20

    def writer() -> None:
        with service.client() as http:
            while time.monotonic() < stop:
                marker = uuid.uuid4().hex
                text = f"Churning otters {marker} swim in the churn test."
                created = http.post("/v1/documents", json={"text": text})
                if created.status_code != 201:
                    errors.append(created.text)
                    continue
                document_id = created.json()["documents"][0]["id"]
                if http.delete(f"/v1/documents/{document_id}").status_code != 204:
                    errors.append(f"delete {document_id}")
                deleted.add(document_id)

    def reader(mode: str) -> None:
        with service.client() as http:
            while time.monotonic() < stop:
                gone = set(deleted)  # deleted before this search started
                response = http.post(
                    "/v1/retrieve", json={"query": "churning otters", "top_k": 20, "mode": mode}
                )
                if response.status_code != 200:
                    errors.append(response.text)
                    continue
                served = {hit["document_id"] for hit in response.json()["results"]}
                errors.extend(f"served deleted {d}" for d in served & gone)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    threads += [
        threading.Thread(target=reader, args=(mode,)) for mode in ("hybrid", "dense", "keyword")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert deleted
    assert errors == []


def test_slow_header_clients_do_not_block_others(service: Service) -> None:
    address = urlsplit(service.url)
    slow = []
    try:
        for _ in range(50):
            sock = socket.create_connection((address.hostname, address.port))
            sock.sendall(b"GET /v1/documents HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
            slow.append(sock)
        with service.client() as http:
            http.timeout = httpx.Timeout(10)
            assert http.get("/v1/documents").status_code == 200
            assert http.post("/v1/retrieve", json={"query": "otters"}).status_code == 200
    finally:
        for sock in slow:
            sock.close()
