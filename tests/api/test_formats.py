"""Every supported format over real HTTP: uploaded, each sentence retrieved from the right
document at the right page, slide, row or chapter, and cited with that place."""

from __future__ import annotations

import uuid
from typing import Any

import documents
import httpx
import pytest
from format_cases import FORMATS, assert_found_at_place, covers
from helpers import finished_job


def _marker() -> str:
    return uuid.uuid4().hex[:10]


def _upload(client: httpx.Client, name: str, data: bytes, collection: str) -> dict[str, Any]:
    response = client.post(
        "/v1/documents", files={"files": (name, data)}, data={"collection": collection}
    )
    assert response.status_code == 201, response.text
    ingested: dict[str, Any] = response.json()["documents"][0]
    return ingested


def _top(client: httpx.Client, query: str, collection: str) -> dict[str, Any]:
    body = {"query": query, "top_k": 1, "collections": [collection]}
    response = client.post("/v1/retrieve", json=body)
    assert response.status_code == 200, response.text
    hit: dict[str, Any] = response.json()["results"][0]
    return hit


@pytest.fixture()
def collection(client: httpx.Client) -> str:
    name = f"formats-{_marker()}"
    assert client.post("/v1/collections", json={"name": name}).status_code == 201
    return name


@pytest.mark.parametrize("name", FORMATS)
def test_upload_each_format_is_retrieved_at_its_place(
    client: httpx.Client, collection: str, name: str
) -> None:
    assert_found_at_place(client, name, collection)


def test_query_cites_the_page_of_each_passage(client: httpx.Client, collection: str) -> None:
    pages = [documents.filler(9) + _marker(), documents.filler(10)]
    pages.append("The reactor is cooled by heavy water. " + documents.filler(11))
    _upload(client, "manual.pdf", documents.pdf_pages(pages), collection)
    body = {"question": "How is the reactor cooled?", "top_k": 1, "collections": [collection]}
    response = client.post("/v1/query", json=body)
    assert response.status_code == 200, response.text
    citation = response.json()["citations"][0]
    assert citation["place"]["page"] == 3
    assert citation["place"]["label"] == "p. 3"


def test_list_chunks_returns_their_places(client: httpx.Client, collection: str) -> None:
    slides = [(f"Slide {n} {_marker()}", documents.filler(n), "") for n in range(1, 4)]
    document = _upload(client, "three.pptx", documents.deck(slides), collection)
    chunks = client.get(f"/v1/documents/{document['id']}/chunks").json()["items"]
    assert chunks[0]["place"]["slide"] == 1
    assert chunks[0]["place"]["label"].startswith("slide")
    last = chunks[-1]["place"]
    assert (last["slide_end"] or last["slide"]) == 3


def test_upload_mail_stores_each_supported_attachment_linked_to_it(
    client: httpx.Client, collection: str
) -> None:
    pages = [documents.filler(12) + _marker(), "Ferry tickets rose by ten percent."]
    report = documents.pdf_pages(pages)
    mail = documents.mail(f"Costs {_marker()}", "See the report.", [("costs.pdf", report)])
    response = client.post(
        "/v1/documents", files={"files": ("costs.eml", mail)}, data={"collection": collection}
    )
    assert response.status_code == 201, response.text
    message, attached = response.json()["documents"]
    assert message["media_type"] == "message/rfc822"
    assert attached["source_name"] == "costs.pdf"
    assert attached["metadata"] == {"mail_hash": message["content_hash"]}
    hit = _top(client, "ferry tickets rose", collection)
    assert hit["document_id"] == attached["id"]
    assert covers(hit["place"], "page", 2)


def test_upload_file_whose_content_is_another_type_returns_415(client: httpx.Client) -> None:
    response = client.post(
        "/v1/documents", files={"files": ("report.pdf", documents.deck([("A", "B", "")]))}
    )
    assert response.status_code == 415, response.text
    assert "declared .pdf but its content is a zip package" in response.json()["error"]["message"]


def test_upload_scan_becomes_a_job_that_reports_each_page_read(
    client: httpx.Client, collection: str
) -> None:
    pages = [[f"Tide table {_marker()}."], ["High water at noon."], ["Low water at dusk."]]
    response = client.post(
        "/v1/documents",
        files={"files": ("tides.pdf", documents.scanned_pdf(pages))},
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = finished_job(client, response.json()["status_url"])
    assert job["status"] == "succeeded", job
    assert (job["pages_total"], job["pages_read"], job["progress"]) == (3, 3, 1.0)
    assert job["total_chunks"] == job["embedded_chunks"] >= 1
    hit = _top(client, "when is low water", collection)
    assert hit["document_id"] == job["documents"][0]["id"]


def test_upload_scan_not_in_background_is_read_while_the_upload_waits(
    client: httpx.Client, collection: str
) -> None:
    image = documents.scan([f"Gate {_marker()} closes at six."], fmt="PNG")
    response = client.post(
        "/v1/documents",
        params={"background": "false"},
        files={"files": ("gate.png", image)},
        data={"collection": collection},
    )
    assert response.status_code == 201, response.text
    assert response.json()["documents"][0]["media_type"] == "image/png"
