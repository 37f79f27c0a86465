"""POST/GET/DELETE /v1/documents through real HTTP."""

from __future__ import annotations

import io
import uuid

import httpx
from docx import Document
from fpdf import FPDF
from helpers import ingest_text, wait_until


def _unique(text: str) -> str:
    return f"{text} Marker {uuid.uuid4().hex}."


def _pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def _docx_bytes(text: str) -> bytes:
    document = Document()
    document.core_properties.title = "Quarterly report"
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_create_document_from_json_returns_201_with_chunks(client: httpx.Client) -> None:
    document = ingest_text(client, _unique("Zebras sleep standing up."), "zebra facts", team="zoo")
    assert document["duplicate"] is False
    assert document["title"] == "zebra facts"
    assert document["chunk_count"] == 1
    assert document["metadata"] == {"team": "zoo"}
    fetched = client.get(f"/v1/documents/{document['id']}").json()
    assert fetched["content_hash"] == document["content_hash"]


def test_create_documents_from_each_supported_file_type(client: httpx.Client) -> None:
    body = _unique("Lighthouses guide ships along rocky coasts at night.")
    files = [
        ("files", ("a.txt", body.encode() + b" txt", "text/plain")),
        ("files", ("b.md", f"# Beacon notes\n\n{body} md".encode(), "text/markdown")),
        (
            "files",
            (
                "c.html",
                f"<html><head><title>Beacons</title><script>var x=1;</script>"
                f"</head><body><p>{body} html</p></body></html>".encode(),
                "text/html",
            ),
        ),
        ("files", ("d.pdf", _pdf_bytes(body + " pdf"), "application/pdf")),
        ("files", ("e.docx", _docx_bytes(body + " docx"), "application/octet-stream")),
    ]
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 201, response.text
    documents = response.json()["documents"]
    assert [d["media_type"] for d in documents] == [
        "text/plain",
        "text/markdown",
        "text/html",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert [d["title"] for d in documents[1:3]] == ["Beacon notes", "Beacons"]
    assert documents[4]["title"] == "Quarterly report"
    for document in documents:
        hits = client.post(
            "/v1/retrieve",
            json={
                "query": "lighthouses rocky coasts",
                "top_k": 20,
                "mode": "keyword",
                "filters": {"document_ids": [document["id"]]},
            },
        ).json()["results"]
        assert hits and "Lighthouses guide ships" in hits[0]["text"]
        assert "var x" not in hits[0]["text"]


def test_create_document_twice_returns_existing_id(client: httpx.Client) -> None:
    text = _unique("Identical content is stored once.")
    first = client.post("/v1/documents", json={"text": text})
    second = client.post("/v1/documents", json={"text": text, "title": "another title"})
    as_file = client.post("/v1/documents", files={"files": ("same.txt", text.encode())})
    assert first.status_code == 201
    assert second.status_code == 200 and as_file.status_code == 200
    ids = {r.json()["documents"][0]["id"] for r in (first, second, as_file)}
    assert len(ids) == 1
    assert second.json()["documents"][0]["duplicate"] is True


def test_list_documents_paginates(client: httpx.Client) -> None:
    for n in range(3):
        ingest_text(client, _unique(f"Pagination sample number {n}."))
    first = client.get("/v1/documents", params={"limit": 2, "offset": 0}).json()
    second = client.get("/v1/documents", params={"limit": 2, "offset": 2}).json()
    assert first["total"] >= 3 and first["limit"] == 2 and len(first["items"]) == 2
    assert not {d["id"] for d in first["items"]} & {d["id"] for d in second["items"]}


def test_list_chunks_returns_exact_spans_of_the_text(client: httpx.Client) -> None:
    text = " ".join(f"Sentence {n} of a long sample about river deltas." for n in range(400))
    text = _unique(text)
    document = ingest_text(client, text)
    first = client.get(f"/v1/documents/{document['id']}/chunks", params={"limit": 2}).json()
    rest = client.get(
        f"/v1/documents/{document['id']}/chunks", params={"offset": 2, "limit": 500}
    ).json()
    chunks = first["items"] + rest["items"]
    assert first["total"] == document["chunk_count"] == len(chunks) > 2
    assert first["document"]["id"] == document["id"]
    assert [c["position"] for c in chunks] == list(range(len(chunks)))
    assert all(text[c["start"] : c["end"]] == c["text"] for c in chunks)


def test_list_chunks_of_unknown_document_returns_404(client: httpx.Client) -> None:
    response = client.get("/v1/documents/no-such-document/chunks")
    assert response.status_code == 404
    assert "no-such-document" in response.json()["error"]["message"]


def test_delete_document_removes_it_from_every_index(client: httpx.Client) -> None:
    word = f"xylophonist{uuid.uuid4().hex[:8]}"
    document = ingest_text(client, f"The {word} played a long concert in Vienna.")
    assert client.delete(f"/v1/documents/{document['id']}").status_code == 204
    assert client.get(f"/v1/documents/{document['id']}").status_code == 404
    for mode in ("keyword", "dense", "hybrid"):
        results = client.post(
            "/v1/retrieve", json={"query": f"{word} concert Vienna", "top_k": 50, "mode": mode}
        ).json()["results"]
        assert document["id"] not in {r["document_id"] for r in results}, mode
    assert client.delete(f"/v1/documents/{document['id']}").status_code == 404


def test_big_upload_becomes_background_job_with_progress(client: httpx.Client) -> None:
    paragraphs = [
        f"Section {n} {uuid.uuid4().hex}: " + "The archive holds letters. " * 40 for n in range(60)
    ]
    # Over RAG_BACKGROUND_INGEST_CHARS (50,000 by default): queued without being asked.
    response = client.post("/v1/documents", json={"text": "\n\n".join(paragraphs)})
    assert response.status_code == 202, response.text
    job_url = response.json()["status_url"]
    assert response.headers["location"] == job_url
    seen: list[dict[str, object]] = []

    def finished() -> bool:
        seen.append(client.get(job_url).json())
        return seen[-1]["status"] in ("succeeded", "failed")

    wait_until(finished, 120, "the ingest job")
    job = seen[-1]
    assert job["status"] == "succeeded", job
    assert job["embedded_chunks"] == job["total_chunks"] > 50
    assert job["progress"] == 1.0
    document_id = job["documents"][0]["id"]  # type: ignore[index]
    assert client.get(f"/v1/documents/{document_id}").json()["chunk_count"] == job["total_chunks"]


def test_get_unknown_job_returns_404(client: httpx.Client) -> None:
    response = client.get("/v1/jobs/does-not-exist")
    assert response.status_code == 404
    assert "no job" in response.json()["error"]["message"]
